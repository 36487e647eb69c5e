package dev.conveyor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The human-readable task report, from report maps shaped as {@code TaskReport} makes them. */
class TaskTextTest {

  @Test
  void oneOfEachIsSingular() {
    Map<String, Object> report = inFlight(1);
    report.put("redrives", 1);
    report.put("steps", Map.of("deliver", Map.of("passed", 0, "of", 1)));

    assertThat(TaskText.lines(report))
        .containsExactly(
            "task      t-1  (pipeline echo v2)",
            "state     in_flight, received 2026-11-22T01:22:45Z, 1 part, re-driven 1 time",
            "steps     deliver 0/1",
            "dead      -",
            "outcome   -");
  }

  @Test
  void aQueuedAndARejectedMessageAreReportedAsSuch() {
    Map<String, Object> queued = new LinkedHashMap<>();
    queued.put("task_id", "q-1");
    queued.put("state", "queued");
    queued.put("pipeline", "echo");
    queued.put("stream_id", "1763774565247-0");
    queued.put("received_at", Instant.parse("2026-11-22T01:22:45.247Z"));
    queued.put("pending", false);
    Map<String, Object> rejected = new LinkedHashMap<>();
    rejected.put("task_id", "r-1");
    rejected.put("state", "rejected");
    rejected.put("stream_id", "1-7");
    rejected.put("reason", "payload_not_json");
    rejected.put("detail", "Unexpected character");
    rejected.put("rejected_at", Instant.parse("2026-11-22T01:22:46.001Z"));

    assertThat(TaskText.lines(queued))
        .containsExactly(
            "task      q-1  (pipeline echo)",
            "state     queued, received 2026-11-22T01:22:45Z, stream id 1763774565247-0, not yet"
                + " read");
    assertThat(TaskText.lines(rejected))
        .containsExactly(
            "task      r-1",
            "state     rejected 2026-11-22T01:22:46Z, stream id 1-7",
            "reason    payload_not_json: Unexpected character");
  }

  @Test
  void stepsOfAPipelineThatIsNotLoadedAreReportedAsUnknown() {
    Map<String, Object> report = inFlight(2);
    report.put("steps", Map.of());

    assertThat(TaskText.lines(report))
        .contains("steps     unknown: pipeline echo is not in CONVEYOR_PIPELINES");
  }

  @Test
  void deadItemsAreInPartOrderWithTheWholeTaskLastAndAligned() {
    Map<String, Object> report = inFlight(12);
    report.put(
        "dead",
        List.of(
            Map.of("part", "task", "error", "merge: boom"),
            Map.of("part", "10", "error", "person: timeout after 30s"),
            Map.of("part", "2", "error", "person: line one\n  line two")));

    assertThat(TaskText.lines(report))
        .containsSubsequence(
            "dead      part 2   person: line one line two",
            "          part 10  person: timeout after 30s",
            "          task     merge: boom",
            "outcome   -");
  }

  @Test
  void deadItemsFromPostgresNameTheirStepAndAttemptsAndMinusOneIsTheTask() {
    Map<String, Object> report = inFlight(3);
    report.put("state", "cleaned");
    report.put(
        "dead",
        List.of(
            Map.of("part", -1, "step", "assemble", "attempts", 1, "error", "bad"),
            Map.of("part", 0, "step", "person", "attempts", 3, "error", "timeout")));

    assertThat(TaskText.lines(report))
        .containsSubsequence(
            "dead      part 0  person: timeout (3 attempts)",
            "          task    assemble: bad (1 attempt)");
  }

  @Test
  void manyDeadItemsAreCutShortWithAPointerToJson() {
    Map<String, Object> report = inFlight(30);
    List<Map<String, Object>> dead = new ArrayList<>();
    for (int part = 0; part < 25; part++) {
      dead.add(Map.of("part", Integer.toString(part), "error", "person: timeout"));
    }
    report.put("dead", dead);

    List<String> lines = TaskText.lines(report);

    assertThat(lines.stream().filter(l -> l.contains("person: timeout")))
        .hasSize(TaskText.MAX_DEAD);
    assertThat(lines).contains("          ... and 5 more (--json lists them all)");
  }

  @Test
  void aLongErrorIsShortened() {
    Map<String, Object> report = inFlight(1);
    report.put("dead", List.of(Map.of("part", "0", "error", "x".repeat(1000))));

    String line =
        TaskText.lines(report).stream().filter(l -> l.startsWith("dead")).findFirst().orElseThrow();

    assertThat(line).hasSizeLessThan(240).endsWith("...");
  }

  @Test
  void aFinishedTaskHasItsOutcomeAndTimes() {
    Map<String, Object> report = inFlight(4);
    report.put("state", "cleaned");
    report.put("outcome", "partial");
    report.put("failed_parts", 1);
    report.put("rows_delivered", 1L);
    report.put("finished_at", Instant.parse("2026-11-22T01:23:10.999Z"));
    report.put("cleaned_at", Instant.parse("2026-11-22T01:24:15.001Z"));

    assertThat(TaskText.lines(report))
        .endsWith(
            "outcome   partial, 1 row delivered, 1 of 4 parts failed",
            "finished  2026-11-22T01:23:10Z",
            "cleaned   2026-11-22T01:24:15Z");
  }

  private static Map<String, Object> inFlight(int parts) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("task_id", "t-1");
    r.put("pipeline", "echo");
    r.put("version", 2);
    r.put("received_at", Instant.parse("2026-11-22T01:22:45.999Z"));
    r.put("parts", parts);
    r.put("state", "in_flight");
    r.put("dead", List.of());
    return r;
  }
}
