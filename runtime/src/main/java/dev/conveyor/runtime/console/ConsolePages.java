package dev.conveyor.runtime.console;

import static dev.conveyor.runtime.console.Html.esc;
import static dev.conveyor.runtime.console.Html.url;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.runtime.console.ConsoleData.Overview;
import dev.conveyor.runtime.console.ConsoleData.StepLoad;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.RejectedMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The console's pages, rendered on the server as HTML: pure functions of what {@link ConsoleData}
 * read. Every value goes through {@link Html#esc}; the pages carry no inline script or style (the
 * console's Content-Security-Policy forbids them), so hostile content can only ever be text.
 *
 * <p>Why over 400 lines: it is the console's HTML, one method a page or panel, all of it written
 * through one escaping helper; split by page it would be several classes sharing that helper and
 * the layout. To split by page (overview, task, lists) is the next step when a page grows.
 */
final class ConsolePages {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ConsolePages() {}

  /** Who serves the page, shown in its footer. */
  record Served(String role, String node) {}

  static String overview(Served served, Overview o) {
    StringBuilder b = new StringBuilder();
    b.append("<h1>Overview</h1>");
    b.append("<section><h2>Nodes</h2>");
    if (o.nodes().isEmpty()) {
      b.append("<p class=\"empty\">No daemon has a heartbeat.</p>");
    } else {
      b.append("<div class=\"scroll\"><table id=\"nodes\"><thead><tr><th>node</th><th>role</th>")
          .append("<th>state</th><th>heartbeat</th><th>version</th><th>control</th></tr></thead>")
          .append("<tbody>");
      for (NodeBeat n : o.nodes()) {
        String state = n.state() == null ? "GONE" : n.state();
        b.append("<tr data-node=\"")
            .append(esc(n.id()))
            .append("\"><td>")
            .append(esc(n.id()))
            .append("</td><td>")
            .append(esc(n.role()))
            .append("</td><td>")
            .append(badge(state))
            .append("</td><td>")
            .append(esc(age(o.now(), n.lastBeat())))
            .append(" ago</td><td>")
            .append(esc(n.version()))
            .append("</td><td>");
        if (n.live()) {
          b.append(action("suspend", "Suspend", Map.of("target", n.id())))
              .append(action("resume", "Resume", Map.of("target", n.id())));
        }
        b.append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    b.append("</section><section><h2>Inbox</h2><p id=\"inbox\">");
    o.inbox()
        .ifPresentOrElse(
            i ->
                b.append("lag <strong>")
                    .append(i.lag() < 0 ? "?" : Long.toString(i.lag()))
                    .append("</strong> · pending <strong>")
                    .append(i.pending())
                    .append("</strong>"),
            () -> b.append("no dispatcher has read the inbox yet"));
    b.append("</p></section>");
    for (Pipeline p : o.pipelines()) {
      pipeline(b, p, o);
    }
    return page(served, "Overview", b);
  }

  private static void pipeline(StringBuilder b, Pipeline p, Overview o) {
    b.append("<section class=\"pipeline\" data-pipeline=\"")
        .append(esc(p.name()))
        .append("\"><h2>")
        .append(esc(p.name()))
        .append(" <small>v")
        .append(p.version())
        .append(" · ")
        .append(o.inflight().getOrDefault(p.name(), 0L))
        .append(" tasks in flight</small></h2><div class=\"dag\">");
    Map<String, Integer> level = new HashMap<>();
    List<List<StepDef>> levels = new ArrayList<>();
    for (StepDef s : p.topologicalOrder()) {
      int l = s.after().stream().mapToInt(a -> level.getOrDefault(a, 0) + 1).max().orElse(0);
      level.put(s.name(), l);
      while (levels.size() <= l) {
        levels.add(new ArrayList<>());
      }
      levels.get(l).add(s);
    }
    Map<String, Long> dead = o.dead().getOrDefault(p.name(), Map.of());
    for (int l = 0; l < levels.size(); l++) {
      if (l > 0) {
        b.append("<div class=\"arrow\" aria-hidden=\"true\">→</div>");
      }
      b.append("<div class=\"level\">");
      for (StepDef s : levels.get(l)) {
        step(b, p, s, o, dead.getOrDefault(s.name(), 0L));
      }
      b.append("</div>");
    }
    b.append("</div></section>");
  }

  private static void step(StringBuilder b, Pipeline p, StepDef s, Overview o, long dead) {
    String key = p.name() + "." + s.name();
    StepLoad load = o.load().getOrDefault(key, new StepLoad(0, 0, 0));
    String state = o.stepStates().getOrDefault(key, "?");
    b.append("<div class=\"step\" data-step=\"")
        .append(esc(key))
        .append("\"><div class=\"step-head\"><strong>")
        .append(esc(s.name()))
        .append("</strong> <span class=\"kind\">")
        .append(esc(s.kind().name().toLowerCase(java.util.Locale.ROOT)))
        .append("</span> ")
        .append(badge(state))
        .append("</div>");
    if (!s.after().isEmpty()) {
      b.append("<div class=\"after\">after ")
          .append(esc(String.join(", ", s.after())))
          .append("</div>");
    }
    b.append("<dl>")
        .append(dd("backlog", load.waiting() + load.pending() + load.retrying()))
        .append(dd("waiting", load.waiting()))
        .append(dd("in tick", load.pending()))
        .append(dd("retrying", load.retrying()))
        .append(dd("rate", rate(o.rates().get(key))))
        .append(dd("p99", seconds(o.p99().get(key))))
        .append("<dt>dead</dt><dd class=\"dead\"><a href=\"/ui/dead?pipeline=")
        .append(url(p.name()))
        .append("&amp;step=")
        .append(url(s.name()))
        .append("\">")
        .append(dead)
        .append("</a></dd></dl><div class=\"actions\">")
        .append(action("suspend", "Suspend", Map.of("target", key)))
        .append(action("resume", "Resume", Map.of("target", key)))
        .append("</div></div>");
  }

  /**
   * A task's page: its timeline, summary, steps and dead items; for a message not yet a task, that
   * it is queued in the inbox or was rejected.
   *
   * @param report the task report ({@code TaskReport}): a task, or a message still in the inbox
   *     ({@code state=queued}) or rejected ({@code state=rejected}, shown from {@code rejected})
   * @param inboxRead whether this daemon could look in the inbox (else a queued message is not
   *     found here, and the page says so)
   */
  static String task(
      Served served,
      String id,
      Optional<Map<String, Object>> report,
      List<RejectedMessage> rejected,
      boolean inboxRead) {
    StringBuilder b = new StringBuilder();
    b.append("<h1>Task <code id=\"task-id\">").append(esc(id)).append("</code></h1>");
    // why: the rejected rows are listed below, each with its reason; the report's is the latest
    report = report.filter(r -> !"rejected".equals(r.get("state")));
    if (report.isEmpty() && rejected.isEmpty()) {
      b.append("<p class=\"empty\" id=\"task-missing\">No task, no message in the inbox and no")
          .append(" rejected message has this id.</p>");
      if (!inboxRead) {
        b.append("<p class=\"empty\">This daemon cannot read the inbox: a message still queued")
            .append(" there shows on the console of patrol or a dispatcher.</p>");
      }
      return page(served, "Task", b);
    }
    b.append("<section><h2>Timeline</h2><ol class=\"timeline\" id=\"timeline\">");
    for (RejectedMessage r : rejected) {
      b.append("<li class=\"bad\"><time>")
          .append(esc(r.receivedAt()))
          .append("</time> rejected: <strong>")
          .append(esc(r.reason()))
          .append("</strong> ")
          .append(esc(r.detail()))
          .append("</li>");
    }
    if (report.isPresent() && "queued".equals(report.get().get("state"))) {
      Map<String, Object> r = report.get();
      event(
          b,
          r.get("received_at"),
          Boolean.TRUE.equals(r.get("pending"))
              ? "queued in the inbox, read by a dispatcher"
              : "queued in the inbox",
          "queued");
      b.append("</ol></section>");
      b.append("<section><h2>Summary</h2><dl class=\"summary\">")
          .append(dd("pipeline", r.get("pipeline")))
          .append(dd("state", "queued"))
          .append(dd("inbox entry", r.get("stream_id")))
          .append("</dl></section>");
      return page(served, "Task " + id, b);
    }
    if (report.isPresent()) {
      Map<String, Object> r = report.get();
      event(b, r.get("received_at"), "queued (received)", "");
      String state = String.valueOf(r.get("state"));
      if ("in_flight".equals(state)) {
        event(b, r.getOrDefault("progress_at", ""), "in flight", "");
      }
      Object outcome = r.get("outcome");
      if (outcome != null) {
        event(
            b,
            r.get("finished_at"),
            String.valueOf(outcome),
            "delivered".equals(outcome) ? "good" : "bad");
      }
      if (r.get("cleaned_at") != null) {
        event(b, r.get("cleaned_at"), "cleaned", "");
      }
    }
    b.append("</ol></section>");
    report.ifPresent(r -> details(b, id, r));
    return page(served, "Task " + id, b);
  }

  private static void event(StringBuilder b, Object at, String what, String cls) {
    b.append("<li class=\"")
        .append(esc(cls))
        .append("\"><time>")
        .append(esc(at))
        .append("</time> ")
        .append(esc(what))
        .append("</li>");
  }

  private static void details(StringBuilder b, String id, Map<String, Object> r) {
    b.append("<section><h2>Summary</h2><dl class=\"summary\">")
        .append(dd("pipeline", r.get("pipeline") + " v" + r.get("version")))
        .append(dd("state", r.get("state")))
        .append(dd("outcome", r.getOrDefault("outcome", "—")))
        .append(dd("parts", r.get("parts")))
        .append(dd("failed parts", r.getOrDefault("failed_parts", "—")))
        .append(dd("rows delivered", r.getOrDefault("rows_delivered", "—")))
        .append("</dl></section>");
    if (r.get("steps") instanceof Map<?, ?> steps) {
      b.append("<section><h2>Steps</h2><div class=\"scroll\"><table id=\"task-steps\"><thead><tr>")
          .append("<th>step</th><th>parts passed</th></tr></thead><tbody>");
      steps.forEach((step, v) -> {
        Map<?, ?> m = v instanceof Map<?, ?> x ? x : Map.of();
        b.append("<tr><td>")
            .append(esc(step))
            .append("</td><td>")
            .append(esc(m.get("passed")))
            .append(" / ")
            .append(esc(m.get("of")))
            .append("</td></tr>");
      });
      b.append("</tbody></table></div></section>");
    }
    if (r.get("dead") instanceof List<?> dead && !dead.isEmpty()) {
      b.append(
              "<section><h2>Dead items</h2><div class=\"scroll\"><table id=\"task-dead\"><thead><tr>")
          .append("<th>part</th><th>step</th><th>error</th></tr></thead><tbody>");
      for (Object o : dead) {
        Map<?, ?> m = o instanceof Map<?, ?> x ? x : Map.of();
        b.append("<tr><td>")
            .append(esc(m.get("part")))
            .append("</td><td>")
            .append(esc(m.get("step")))
            .append("</td><td class=\"error\">")
            .append(esc(m.get("error")))
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>")
          .append(action("replay", "Replay this task's dead items", Map.of("task", id)))
          .append("</section>");
    }
  }

  record DeadFilter(String task, String pipeline, String step) {}

  static String dead(Served served, DeadFilter f, List<DeadItem> items) {
    StringBuilder b = new StringBuilder("<h1>Dead items</h1>");
    b.append("<form class=\"filters\" method=\"get\" action=\"/ui/dead\">")
        .append(input("task", "task id", f.task()))
        .append(input("pipeline", "pipeline", f.pipeline()))
        .append(input("step", "step", f.step()))
        .append("<button type=\"submit\">Filter</button></form>");
    if (f.pipeline() != null) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("pipeline", f.pipeline());
      if (f.step() != null) {
        body.put("step", f.step());
      }
      b.append(
          action(
              "replay",
              "Replay all dead items of " + f.pipeline() + (f.step() == null ? "" : "." + f.step()),
              body));
    }
    if (items.isEmpty()) {
      b.append("<p class=\"empty\" id=\"dead-empty\">No dead items.</p>");
      return page(served, "Dead items", b);
    }
    b.append("<div class=\"scroll\"><table id=\"dead\"><thead><tr><th>task</th><th>step</th>")
        .append(
            "<th>part</th><th>attempts</th><th>error</th><th>failed</th><th>payload</th><th></th>")
        .append("</tr></thead><tbody>");
    for (DeadItem d : items) {
      b.append("<tr data-task=\"")
          .append(esc(d.taskId()))
          .append("\"><td>")
          .append(taskLink(d.taskId()))
          .append("</td><td>")
          .append(esc(d.pipeline() + "." + d.step()))
          .append("</td><td>")
          .append(d.part() < 0 ? "task" : Integer.toString(d.part()))
          .append("</td><td>")
          .append(d.attempts())
          .append("</td><td class=\"error\">")
          .append(esc(d.error()))
          .append("</td><td><time>")
          .append(esc(d.failedAt()))
          .append("</time></td><td>")
          .append(payload(d.payload()))
          .append("</td><td>")
          .append(action("replay", "Replay", Map.of("task", d.taskId())))
          .append("</td></tr>");
    }
    b.append("</tbody></table></div>");
    return page(served, "Dead items", b);
  }

  record RejectedFilter(String reason, String pipeline, String task) {}

  static String rejected(Served served, RejectedFilter f, List<RejectedMessage> items) {
    StringBuilder b = new StringBuilder("<h1>Rejected messages</h1>");
    b.append("<form class=\"filters\" method=\"get\" action=\"/ui/rejected\">")
        .append(input("reason", "reason", f.reason()))
        .append(input("pipeline", "pipeline", f.pipeline()))
        .append(input("task", "message id", f.task()))
        .append("<button type=\"submit\">Filter</button></form>");
    if (f.reason() != null) {
      b.append(
          action(
              "replay",
              "Replay every message rejected as " + f.reason(),
              Map.of("rejected", true, "reason", f.reason())));
    }
    if (items.isEmpty()) {
      b.append("<p class=\"empty\" id=\"rejected-empty\">No rejected messages.</p>");
      return page(served, "Rejected messages", b);
    }
    b.append("<div class=\"scroll\"><table id=\"rejected\"><thead><tr><th>stream id</th>")
        .append(
            "<th>message id</th><th>pipeline</th><th>reason</th><th>detail</th><th>received</th>")
        .append("<th>fields</th></tr></thead><tbody>");
    for (RejectedMessage r : items) {
      b.append("<tr><td>")
          .append(esc(r.streamId()))
          .append("</td><td class=\"id\">")
          .append(esc(field(r.fields(), "id")))
          .append("</td><td>")
          .append(esc(field(r.fields(), "pipeline")))
          .append("</td><td><a href=\"/ui/rejected?reason=")
          .append(url(r.reason()))
          .append("\">")
          .append(esc(r.reason()))
          .append("</a></td><td class=\"error\">")
          .append(esc(r.detail()))
          .append("</td><td><time>")
          .append(esc(r.receivedAt()))
          .append("</time></td><td>")
          .append(payload(r.fields()))
          .append("</td></tr>");
    }
    b.append("</tbody></table></div>");
    return page(served, "Rejected messages", b);
  }

  /** A page saying that what it needs (Redis, PostgreSQL) cannot be read now. */
  static String unavailable(Served served, String title, String why) {
    return page(
        served,
        title,
        new StringBuilder("<h1>")
            .append(esc(title))
            .append("</h1><p class=\"bad\" id=\"unavailable\">Cannot read this now: ")
            .append(esc(why))
            .append("</p>"));
  }

  private static String page(Served served, String title, CharSequence main) {
    return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>Conveyor · "
        + esc(title)
        + "</title>"
        + "<link rel=\"stylesheet\" href=\"/ui/console.css\">"
        + "<script src=\"/ui/console.js\" defer></script></head><body>"
        + "<header><a class=\"brand\" href=\"/ui\">Conveyor</a><nav>"
        + "<a href=\"/ui\">Overview</a><a href=\"/ui/dead\">Dead items</a>"
        + "<a href=\"/ui/rejected\">Rejected</a></nav>"
        + "<form id=\"task-search\" method=\"get\" action=\"/ui/tasks\">"
        + "<input name=\"id\" placeholder=\"task id\" aria-label=\"task id\" required>"
        + "<button type=\"submit\">Open task</button></form>"
        + "<form id=\"token-form\"><input type=\"password\" name=\"token\" id=\"token\""
        + " placeholder=\"admin token\" aria-label=\"admin token\" autocomplete=\"off\">"
        + "<button type=\"submit\" id=\"token-set\">Set token</button>"
        + "<button type=\"button\" id=\"token-clear\">Forget</button>"
        + "<span id=\"token-state\">no token</span></form></header>"
        + "<div id=\"flash\" role=\"status\" aria-live=\"polite\"></div>"
        + "<main>"
        + main
        + "</main>"
        + "<footer>served by "
        + esc(served.role())
        + " "
        + esc(served.node())
        + " · updates every 3 s · reads need no token, actions need the admin token</footer>"
        + "</body></html>";
  }

  /** A button that POSTs {@code body} to {@code /ui/actions/<kind>} with the token (JS). */
  private static String action(String kind, String label, Map<String, ?> body) {
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return "<form class=\"action\" data-action=\""
        + esc(kind)
        + "\" data-body=\""
        + esc(json)
        + "\"><button type=\"submit\">"
        + esc(label)
        + "</button></form>";
  }

  private static String input(String name, String placeholder, String value) {
    return "<input name=\""
        + esc(name)
        + "\" placeholder=\""
        + esc(placeholder)
        + "\" aria-label=\""
        + esc(placeholder)
        + "\" value=\""
        + esc(value)
        + "\">";
  }

  /** A field of a rejected message as received, or "" when it has none (or is not text). */
  private static String field(String fieldsJson, String name) {
    try {
      return JSON.readTree(fieldsJson).path(name).asText("");
    } catch (JsonProcessingException | RuntimeException e) {
      return "";
    }
  }

  private static String taskLink(String id) {
    return "<a href=\"/ui/tasks/" + url(id) + "\">" + esc(id) + "</a>";
  }

  private static String payload(String json) {
    if (json == null) {
      return "";
    }
    String shown = json.length() > 4000 ? json.substring(0, 4000) + "…" : json;
    return "<details><summary>"
        + json.length()
        + " chars</summary><pre>"
        + esc(shown)
        + "</pre></details>";
  }

  private static String badge(String state) {
    return "<span class=\"badge state-"
        + esc(state.toLowerCase(java.util.Locale.ROOT))
        + "\">"
        + esc(state)
        + "</span>";
  }

  private static String dd(String term, Object value) {
    return "<dt>" + esc(term) + "</dt><dd>" + esc(value) + "</dd>";
  }

  /** Items per second, or a dash before the console has seen the counter twice. */
  static String rate(Double perSecond) {
    if (perSecond == null) {
      return "—";
    }
    return (perSecond >= 10
            ? Long.toString(Math.round(perSecond))
            : String.format(java.util.Locale.ROOT, "%.1f", perSecond))
        + "/s";
  }

  /**
   * A time per item, in ms below a second (one decimal below 10 ms), or a dash when the step
   * processed nothing since the console last looked.
   */
  static String seconds(Double seconds) {
    if (seconds == null) {
      return "—";
    }
    double ms = seconds * 1000;
    if (ms < 10) {
      return String.format(java.util.Locale.ROOT, "%.1f ms", ms);
    }
    if (ms < 1000) {
      return Math.round(ms) + " ms";
    }
    return String.format(java.util.Locale.ROOT, "%.2f s", seconds);
  }

  static String age(Instant now, Instant then) {
    Duration d = Duration.between(then, now);
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    long s = d.toSeconds();
    return s < 120 ? s + " s" : s < 7200 ? (s / 60) + " min" : (s / 3600) + " h";
  }
}
