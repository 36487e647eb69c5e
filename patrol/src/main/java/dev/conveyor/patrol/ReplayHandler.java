package dev.conveyor.patrol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code POST /replay} (patrol; needs the admin token when one is set), what {@code conveyor
 * replay} calls. Body: {@code {"task": ID}}, {@code {"pipeline": P, "step": S}} (step optional), or
 * {@code {"rejected": true, "reason": R}} (reason optional), each with {@code "dry_run": true} to
 * only list. Answers {@code {"dry_run", "replayed", "skipped", "items": [...]}}, each item with
 * {@code skipped} (the reason) when it was not replayed.
 */
public final class ReplayHandler implements Handler {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Supplier<DeadItemReplay> deadItems;
  private final Supplier<RejectedReplay> rejected;

  public ReplayHandler(Supplier<DeadItemReplay> deadItems, Supplier<RejectedReplay> rejected) {
    this.deadItems = deadItems;
    this.rejected = rejected;
  }

  @Override
  public HttpResponse handle(HttpRequest request) {
    JsonNode body;
    try {
      body = JSON.readTree(request.body());
    } catch (IOException e) {
      return bad("the body must be a JSON object");
    }
    if (body == null || !body.isObject()) {
      return bad("the body must be a JSON object");
    }
    String task = text(body, "task");
    String pipeline = text(body, "pipeline");
    String step = text(body, "step");
    String reason = text(body, "reason");
    boolean isRejected = body.path("rejected").asBoolean(false);
    boolean dryRun = body.path("dry_run").asBoolean(false);
    int selectors = (task != null ? 1 : 0) + (pipeline != null ? 1 : 0) + (isRejected ? 1 : 0);
    if (selectors != 1) {
      return bad("give exactly one of task, pipeline, rejected");
    }
    if (step != null && pipeline == null) {
      return bad("step needs pipeline");
    }
    if (reason != null && !isRejected) {
      return bad("reason needs rejected");
    }
    List<Map<String, Object>> items = new ArrayList<>();
    if (isRejected) {
      for (RejectedReplay.Outcome o : rejected.get().replay(reason, dryRun)) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kind", "rejected");
        item.put("stream_id", o.message().streamId());
        item.put("reason", o.message().reason());
        o.skipped().ifPresent(why -> item.put("skipped", why));
        items.add(item);
      }
    } else {
      for (DeadItemReplay.Outcome o : deadItems.get().replay(task, pipeline, step, dryRun)) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kind", "dead");
        item.put("task_id", o.item().taskId());
        item.put("pipeline", o.item().pipeline());
        item.put("part", o.item().part());
        item.put("step", o.item().step());
        o.skipped().ifPresent(why -> item.put("skipped", why));
        items.add(item);
      }
    }
    long skipped = items.stream().filter(i -> i.containsKey("skipped")).count();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("dry_run", dryRun);
    answer.put("replayed", items.size() - skipped);
    answer.put("skipped", skipped);
    answer.put("items", items);
    return HttpResponse.json(200, answer);
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static HttpResponse bad(String why) {
    return HttpResponse.json(400, Map.of("error", why));
  }
}
