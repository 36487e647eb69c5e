package dev.conveyor.cli;

import dev.conveyor.runtime.ledger.TaskReport;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A task report ({@link TaskReport#status}) for people: one label and value per line, values in one
 * column, times in UTC to the second.
 *
 * <pre>
 * task      doc-42  (pipeline ner v1)
 * state     in_flight, received 2026-11-22T01:22:45Z, 3 parts, re-driven 0 times
 * steps     company  3/3
 *           person   2/3
 * dead      part 2  person: timeout after 30s
 * outcome   -
 * </pre>
 *
 * A cleaned task has no steps (its runtime data is gone); its outcome, finish and cleanup times and
 * its dead items come from PostgreSQL.
 */
final class TaskText {
  /** Dead items listed at most; {@code --json} lists them all. */
  static final int MAX_DEAD = 20;

  private static final int LABEL_WIDTH = 10;
  private static final int MAX_ERROR = 200;

  private TaskText() {}

  static List<String> lines(Map<String, Object> report) {
    Object state0 = report.get("state");
    if ("queued".equals(state0) || "rejected".equals(state0)) {
      return notATask(report);
    }
    List<String> out = new ArrayList<>();
    out.add(
        line(
            "task",
            report.get("task_id")
                + "  (pipeline "
                + report.get("pipeline")
                + " v"
                + report.get("version")
                + ")"));
    StringBuilder state = new StringBuilder().append(report.get("state"));
    state.append(", received ").append(time(report.get("received_at")));
    state.append(", ").append(count(report.get("parts"), "part"));
    if (report.containsKey("redrives")) {
      state.append(", re-driven ").append(count(report.get("redrives"), "time"));
    }
    out.add(line("state", state.toString()));
    if (report.get("steps") instanceof Map<?, ?> steps) {
      steps(out, steps, report.get("pipeline"));
    }
    dead(out, report.get("dead") instanceof List<?> dead ? dead : List.of());
    out.add(line("outcome", outcome(report)));
    if (report.containsKey("finished_at")) {
      out.add(line("finished", time(report.get("finished_at"))));
    }
    if (report.containsKey("cleaned_at")) {
      out.add(line("cleaned", time(report.get("cleaned_at"))));
    }
    return out;
  }

  /**
   * A message that is no task: still in the inbox, or rejected.
   *
   * <pre>
   * task      doc-42  (pipeline ner)
   * state     queued, received 2026-11-22T01:22:45Z, stream id 1763774565247-0, read by a dispatcher
   * </pre>
   */
  private static List<String> notATask(Map<String, Object> report) {
    List<String> out = new ArrayList<>();
    Object pipeline = report.get("pipeline");
    out.add(
        line(
            "task",
            report.get("task_id") + (pipeline == null ? "" : "  (pipeline " + pipeline + ")")));
    if ("queued".equals(report.get("state"))) {
      out.add(
          line(
              "state",
              "queued, received "
                  + time(report.get("received_at"))
                  + ", stream id "
                  + report.get("stream_id")
                  + (Boolean.TRUE.equals(report.get("pending"))
                      ? ", read by a dispatcher"
                      : ", not yet read")));
    } else {
      out.add(
          line(
              "state",
              "rejected "
                  + time(report.get("rejected_at"))
                  + ", stream id "
                  + report.get("stream_id")));
      out.add(
          line(
              "reason",
              report.get("reason") + ": " + shorten(String.valueOf(report.get("detail")))));
    }
    return out;
  }

  private static void steps(List<String> out, Map<?, ?> steps, Object pipeline) {
    if (steps.isEmpty()) {
      out.add(line("steps", "unknown: pipeline " + pipeline + " is not in CONVEYOR_PIPELINES"));
      return;
    }
    int width = steps.keySet().stream().mapToInt(s -> String.valueOf(s).length()).max().orElse(0);
    String label = "steps";
    for (Map.Entry<?, ?> step : steps.entrySet()) {
      Map<?, ?> counts = (Map<?, ?>) step.getValue();
      out.add(
          line(
              label,
              pad(String.valueOf(step.getKey()), width + 1)
                  + counts.get("passed")
                  + "/"
                  + counts.get("of")));
      label = "";
    }
  }

  /**
   * In flight an item is {@code {part: "2" | "task", error: "step: why"}} (from Redis); after
   * cleanup {@code {part: 2 | -1, step, attempts, error}} (from {@code dead_items}).
   */
  private static void dead(List<String> out, List<?> items) {
    if (items.isEmpty()) {
      out.add(line("dead", "-"));
      return;
    }
    List<Map<?, ?>> sorted =
        items.stream()
            .<Map<?, ?>>map(i -> (Map<?, ?>) i)
            .sorted(Comparator.comparingLong(TaskText::partOrder))
            .toList();
    int width =
        sorted.stream().limit(MAX_DEAD).mapToInt(i -> partLabel(i).length()).max().orElse(0);
    String label = "dead";
    for (Map<?, ?> item : sorted.stream().limit(MAX_DEAD).toList()) {
      String error = String.valueOf(item.get("error"));
      if (item.containsKey("step")) {
        error = item.get("step") + ": " + error;
      }
      String text = pad(partLabel(item), width + 2) + shorten(error);
      if (item.get("attempts") instanceof Number attempts) {
        text += " (" + count(attempts, "attempt") + ")";
      }
      out.add(line(label, text));
      label = "";
    }
    if (sorted.size() > MAX_DEAD) {
      out.add(line("", "... and " + (sorted.size() - MAX_DEAD) + " more (--json lists them all)"));
    }
  }

  private static String outcome(Map<String, Object> report) {
    Object outcome = report.get("outcome");
    if (outcome == null) {
      return "-";
    }
    return outcome
        + ", "
        + count(report.get("rows_delivered"), "row")
        + " delivered, "
        + report.get("failed_parts")
        + " of "
        + count(report.get("parts"), "part")
        + " failed";
  }

  /** Parts in order, an item standing for the whole task last. */
  private static long partOrder(Map<?, ?> item) {
    String part = String.valueOf(item.get("part"));
    try {
      long n = Long.parseLong(part);
      return n < 0 ? Long.MAX_VALUE : n;
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static String partLabel(Map<?, ?> item) {
    return partOrder(item) == Long.MAX_VALUE ? "task" : "part " + item.get("part");
  }

  private static String time(Object value) {
    return value instanceof Instant t
        ? t.truncatedTo(ChronoUnit.SECONDS).toString()
        : String.valueOf(value);
  }

  private static String count(Object n, String noun) {
    return n + " " + noun + (n instanceof Number v && v.longValue() == 1 ? "" : "s");
  }

  private static String shorten(String error) {
    String one = error.strip().replaceAll("\\s*\\R\\s*", " ");
    return one.length() <= MAX_ERROR ? one : one.substring(0, MAX_ERROR - 3) + "...";
  }

  private static String line(String label, String value) {
    return pad(label, LABEL_WIDTH) + value;
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }
}
