package dev.conveyor.runtime.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's actions, {@code POST /ui/actions/<replay|suspend|resume>}: the routes need the
 * admin token themselves (as every control route does), and forward the request, with the caller's
 * {@code Authorization} header, to the daemons' own control routes at their heartbeat addresses, as
 * the CLI does: replay to a live patrol ({@code POST /replay}, following a 409 to the lease
 * holder), a daemon kind or node id to {@code POST /suspend|/resume} of each such node, a step
 * ({@code pipeline.step}) to one live processor ({@code POST /steps/<pipeline.step>/<action>}).
 */
final class ConsoleActions {
  private static final Logger log = LoggerFactory.getLogger(ConsoleActions.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KINDS = Set.of("dispatcher", "processor", "patrol");

  private final Supplier<List<NodeBeat>> nodes;
  private final NodeHttp http;

  ConsoleActions(Supplier<List<NodeBeat>> nodes, NodeHttp http) {
    this.nodes = nodes;
    this.http = http;
  }

  HttpResponse handle(String action, HttpRequest request) throws InterruptedException {
    JsonNode body;
    try {
      body = JSON.readTree(request.body());
    } catch (IOException e) {
      body = null;
    }
    if (body == null || !body.isObject()) {
      return HttpResponse.json(400, Map.of("error", "the body must be a JSON object"));
    }
    Optional<String> auth = request.header("Authorization");
    List<NodeBeat> live = nodes.get().stream().filter(NodeBeat::live).toList();
    HttpResponse response =
        switch (action) {
          case "replay" -> replay(live, request.bodyAsString(), auth);
          case "suspend", "resume" -> control(live, action, body.path("target").asText(""), auth);
          default -> HttpResponse.json(404, Map.of("error", "no action " + action));
        };
    log.atInfo()
        .addKeyValue("event", "console_action")
        .addKeyValue("action", action)
        .addKeyValue("target", body.path("target").asText(body.path("task").asText("")))
        .addKeyValue("status", response.status())
        .log();
    return response;
  }

  private HttpResponse replay(List<NodeBeat> live, String body, Optional<String> auth)
      throws InterruptedException {
    List<NodeBeat> patrols =
        live.stream().filter(n -> "patrol".equals(n.role()) && n.http().isPresent()).toList();
    if (patrols.isEmpty()) {
      return HttpResponse.json(503, Map.of("error", "no live patrol with HTTP to replay"));
    }
    NodeHttp.Answer a = http.post(patrols.getFirst().http().get(), "/replay", body, auth);
    if (a.status() == 409) {
      String holder = field(a.body(), "holder");
      for (NodeBeat p : patrols) {
        if (p.id().equals(holder)) {
          a = http.post(p.http().get(), "/replay", body, auth);
        }
      }
    }
    return forward(a);
  }

  private HttpResponse control(
      List<NodeBeat> live, String action, String target, Optional<String> auth)
      throws InterruptedException {
    if (target.isEmpty()) {
      return HttpResponse.json(400, Map.of("error", "target is required"));
    }
    List<NodeBeat> daemons =
        live.stream()
            .filter(n -> KINDS.contains(target) ? target.equals(n.role()) : n.id().equals(target))
            .filter(n -> n.http().isPresent())
            .toList();
    boolean step = daemons.isEmpty() && !KINDS.contains(target) && target.contains(".");
    if (step) {
      Optional<NodeBeat> processor =
          live.stream()
              .filter(n -> "processor".equals(n.role()) && n.http().isPresent())
              .findFirst();
      if (processor.isEmpty()) {
        return HttpResponse.json(503, Map.of("error", "no live processor with HTTP"));
      }
      String path = "/steps/" + target + "/" + action;
      return forward(http.post(processor.get().http().get(), path, "", auth));
    }
    if (daemons.isEmpty()) {
      return HttpResponse.json(404, Map.of("error", "no live node with HTTP matches " + target));
    }
    List<Map<String, Object>> results = new ArrayList<>();
    int worst = 200;
    for (NodeBeat n : daemons) {
      NodeHttp.Answer a = http.post(n.http().get(), "/" + action, "", auth);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("node", n.id());
      r.put("status", a.status());
      r.put("answer", a.body());
      results.add(r);
      if (!a.ok()) {
        worst = a.status() == 0 ? 502 : a.status();
      }
    }
    return HttpResponse.json(worst, Map.of("results", results));
  }

  /** The daemon's answer as it came; 502 when it could not be reached. */
  private static HttpResponse forward(NodeHttp.Answer a) {
    if (a.status() == 0) {
      return HttpResponse.json(502, Map.of("error", a.body()));
    }
    return HttpResponse.of(
        a.status(), HttpResponse.JSON, a.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String field(String json, String name) {
    try {
      return JSON.readTree(json).path(name).asText("");
    } catch (IOException e) {
      return "";
    }
  }
}
