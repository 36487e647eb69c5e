package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.redis.StreamMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code POST /messages}: publishing for producers without a Redis client. The body is one message
 * {@code {"pipeline": ..., "id": ..., "payload": {...}}} or JSON lines of them. Each is turned into
 * the inbox entry a producer would {@code XADD} (fields {@code pipeline}, {@code id} when given,
 * {@code payload} exactly as sent) and checked by the intake's own {@link MessageValidator}; then
 * all are appended to the inbox in one round trip, and the intake handles them as any other entry.
 *
 * <ul>
 *   <li>202 with each line's task id and stream id when every line is a valid message;
 *   <li>400 with the reason of each bad line (the intake's reject reasons, or {@code not_a_message}
 *       for a line that is not such an object), and nothing published: all or nothing, so a
 *       corrected body can be sent again whole;
 *   <li>413 past the route's body limit (the HTTP server answers it);
 *   <li>429 with {@code Retry-After} while the intake is held back ({@link Backpressure}): the
 *       inbox takes no more from this door until the pipelines drain;
 *   <li>503 with {@code Retry-After} before the intake runs or while the inbox's Redis is away.
 * </ul>
 *
 * What only the intake can tell (a duplicate id, an unsplittable payload, a poison entry) is told
 * later: {@code GET /tasks/<id>} on patrol and the task events stream.
 */
final class MessagesHandler implements Handler {
  private static final Logger log = LoggerFactory.getLogger(MessagesHandler.class);

  /** Seconds a producer is asked to wait while the intake is held back. */
  static final String HELD_RETRY_AFTER = "5";

  /** The reason of a line that is not a message object. */
  static final String NOT_A_MESSAGE = "not_a_message";

  /** Room for the JSON around an entry's fields in a body. */
  static final int BODY_OVERHEAD_BYTES = 64 << 10;

  /** Largest body limit whatever the entry limit: 32 requests at once hold their bodies. */
  static final int MAX_BODY_BYTES = 64 << 20;

  // why: the provisional stream id of a message not yet appended; the validator reads only its
  // time, and the task id it defaults to is not reported from here
  private static final String UNASSIGNED = "0-0";

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MessageValidator.MAX_NESTING + 1)
                  .maxStringLength(Integer.MAX_VALUE)
                  .build())
          .build();

  private final MessageValidator validator;
  private final Supplier<Optional<Backpressure>> backpressure;
  private final Supplier<UnifiedJedis> inbox;
  private final String inboxKey;

  /**
   * @param backpressure the intake's, empty until the intake runs
   * @param inbox the inbox's Redis, asked per request
   */
  MessagesHandler(
      MessageValidator validator,
      Supplier<Optional<Backpressure>> backpressure,
      Supplier<UnifiedJedis> inbox,
      String inboxKey) {
    this.validator = validator;
    this.backpressure = backpressure;
    this.inbox = inbox;
    this.inboxKey = inboxKey;
  }

  /** The body limit of the route: an entry's limit plus room for the JSON around it. */
  static int bodyLimit(int maxEntryBytes) {
    return (int) Math.min(MAX_BODY_BYTES, (long) maxEntryBytes + BODY_OVERHEAD_BYTES);
  }

  /** A line of the 400 answer: why the line is not a message. */
  record Refused(int line, String reason, String detail) {}

  @Override
  public HttpResponse handle(HttpRequest request) {
    Optional<Backpressure> b = backpressure.get();
    if (b.isEmpty()) {
      return HttpResponse.json(503, Map.of("error", "the intake is not running yet"))
          .withHeader("Retry-After", "1");
    }
    Optional<Backpressure.Hold> hold = b.get().hold();
    if (hold.isPresent()) {
      Backpressure.Hold h = hold.get();
      return HttpResponse.json(
              429,
              Map.of(
                  "error",
                  "the intake is held back: pipeline "
                      + h.pipeline()
                      + " has "
                      + h.inFlight()
                      + " tasks in flight, its limit is "
                      + h.limit(),
                  "pipeline",
                  h.pipeline()))
          .withHeader("Retry-After", HELD_RETRY_AFTER);
    }
    Optional<String> body = StreamMessage.strictUtf8(request.body());
    if (body.isEmpty()) {
      return refused(List.of(new Refused(0, NOT_A_MESSAGE, "the body is not UTF-8 text")));
    }
    List<String> lines = messagesOf(body.get());
    if (lines.isEmpty()) {
      return refused(List.of(new Refused(0, NOT_A_MESSAGE, "the body holds no message")));
    }
    List<Map<String, String>> entries = new ArrayList<>(lines.size());
    List<Integer> numbers = new ArrayList<>(lines.size());
    List<Refused> refusals = new ArrayList<>();
    int number = 0;
    for (String line : lines) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      Entry e = entryOf(line);
      if (e.problem() != null) {
        refusals.add(new Refused(number, NOT_A_MESSAGE, e.problem()));
        continue;
      }
      Map<String, byte[]> fields = new LinkedHashMap<>();
      e.fields().forEach((k, v) -> fields.put(k, v.getBytes(UTF_8)));
      if (validator.check(new StreamMessage(UNASSIGNED, fields)) instanceof Verdict.Rejected r) {
        refusals.add(new Refused(number, r.reason().code(), SafeText.capped(r.detail(), 1000)));
        continue;
      }
      entries.add(e.fields());
      numbers.add(number);
    }
    if (!refusals.isEmpty()) {
      return refused(refusals);
    }
    List<StreamEntryID> ids;
    try {
      ids = append(entries);
    } catch (JedisException e) {
      log.atWarn()
          .addKeyValue("event", "messages_not_published")
          .addKeyValue("messages", entries.size())
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log();
      return HttpResponse.json(
              503, Map.of("error", "the inbox cannot be reached (some messages may be in it)"))
          .withHeader("Retry-After", "1");
    }
    List<Map<String, Object>> published = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      String streamId = ids.get(i).toString();
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("line", numbers.get(i));
      line.put("task_id", entries.get(i).getOrDefault("id", streamId));
      line.put("stream_id", streamId);
      published.add(line);
    }
    log.atDebug().addKeyValue("event", "messages_published").addKeyValue("count", ids.size()).log();
    return HttpResponse.json(202, Map.of("published", published));
  }

  private static HttpResponse refused(List<Refused> refusals) {
    log.atInfo()
        .addKeyValue("event", "messages_refused")
        .addKeyValue("lines", refusals.size())
        .addKeyValue("first_line", refusals.getFirst().line())
        .addKeyValue("reason", refusals.getFirst().reason())
        .log();
    return HttpResponse.json(
        400,
        Map.of(
            "error",
            "nothing was published: " + refusals.size() + " line(s) are not valid messages",
            "refused",
            refusals));
  }

  /**
   * The body's messages: the whole body when it is one JSON value followed by nothing (a message
   * written over several lines), else its lines (blank ones kept, so that numbers are line
   * numbers).
   */
  static List<String> messagesOf(String body) {
    if (body.isBlank()) {
      return List.of();
    }
    if (isOneValue(body)) {
      return List.of(body);
    }
    return List.of(body.split("\r?\n", -1));
  }

  private static boolean isOneValue(String text) {
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() == null) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /** The inbox fields of one message, or the problem that makes it none. */
  record Entry(Map<String, String> fields, String problem) {}

  /**
   * Reads one message object: {@code pipeline} and {@code id} must be strings, {@code payload}
   * (required) is kept as the exact text it was sent as, other fields are refused.
   */
  static Entry entryOf(String text) {
    String pipeline = null;
    String id = null;
    String payload = null;
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return problem("a message is a JSON object {\"pipeline\", \"id\", \"payload\"}");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "pipeline" -> {
            if (value != JsonToken.VALUE_STRING) {
              return problem("field 'pipeline' must be a string");
            }
            pipeline = p.getText();
          }
          case "id" -> {
            if (value != JsonToken.VALUE_STRING) {
              return problem("field 'id' must be a string");
            }
            id = p.getText();
          }
          case "payload" -> {
            if (value == JsonToken.VALUE_STRING) {
              // why: as a producer would XADD it: the payload's JSON text in a string
              payload = p.getText();
            } else {
              int start = (int) p.currentTokenLocation().getCharOffset();
              p.skipChildren();
              p.finishToken();
              int end = (int) p.currentLocation().getCharOffset();
              payload = text.substring(start, end);
            }
          }
          default -> {
            return problem(
                "unknown field '"
                    + SafeText.capped(name, 100)
                    + "' (a message has pipeline, id, payload)");
          }
        }
      }
      if (p.nextToken() != null) {
        return problem("a line holds more than one JSON value");
      }
    } catch (JsonProcessingException e) {
      return problem("not JSON: " + SafeText.capped(e.getOriginalMessage(), 300));
    } catch (IOException e) {
      return problem("not JSON: " + SafeText.capped(e.getMessage(), 300));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    // why: a missing pipeline or payload is the validator's to name (missing_pipeline, ...)
    if (pipeline != null) {
      fields.put("pipeline", pipeline);
    }
    if (id != null) {
      fields.put("id", id);
    }
    if (payload != null) {
      fields.put("payload", payload);
    }
    return new Entry(fields, null);
  }

  private static Entry problem(String problem) {
    return new Entry(Map.of(), problem);
  }

  private List<StreamEntryID> append(List<Map<String, String>> entries) {
    List<Response<StreamEntryID>> replies = new ArrayList<>(entries.size());
    try (AbstractPipeline p = inbox.get().pipelined()) {
      for (Map<String, String> e : entries) {
        replies.add(p.xadd(inboxKey, XAddParams.xAddParams(), e));
      }
      p.sync();
    }
    return replies.stream().map(Response::get).toList();
  }
}
