package dev.conveyor.runtime.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.TaskAudit.Outcome;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

@WithServices
class RepositoriesIT {

  @Test
  void anAuditRowIsWrittenOnceAndReadBack(TestServices services) {
    TaskAuditRepository repo = new TaskAuditRepository(services.dataSource());
    Instant received = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    TaskAudit audit =
        new TaskAudit(
            "doc-1",
            "ner",
            3,
            Outcome.DELIVERED,
            4,
            0,
            17,
            "1-0",
            received,
            received.plusSeconds(2),
            Optional.empty());

    assertThat(repo.insert(audit)).isTrue();
    assertThat(repo.insert(audit)).as("a second finish of the same task writes nothing").isFalse();

    assertThat(repo.find("doc-1")).contains(audit);
    assertThat(repo.find("doc-2")).isEmpty();
    assertThat(repo.existing(List.of("doc-1", "doc-2"))).containsExactly("doc-1");
    assertThat(repo.countByOutcome(Outcome.DELIVERED)).isEqualTo(1);
  }

  @Test
  void insertAllCountsOnlyTheRowsItWroteNotConflicts(TestServices services) {
    TaskAuditRepository repo = new TaskAuditRepository(services.dataSource());
    Instant received = Instant.parse("2026-01-01T00:00:00.123Z");
    repo.insert(audit("many-1", received));

    int written =
        repo.insertAll(
            List.of(
                audit("many-1", received),
                audit("many-2", received),
                audit("many-3", received),
                audit("many-2", received)));

    assertThat(written).as("many-1 existed, many-2 came twice").isEqualTo(2);
    assertThat(repo.existing(List.of("many-1", "many-2", "many-3"))).hasSize(3);
    assertThat(repo.find("many-3")).contains(audit("many-3", received));
    assertThat(repo.insertAll(List.of(audit("many-3", received)))).isZero();
  }

  @Test
  void insertNewReturnsTheRowsItWrote(TestServices services) {
    TaskAuditRepository repo = new TaskAuditRepository(services.dataSource());
    Instant received = Instant.parse("2026-01-01T00:00:00.123Z");
    repo.insert(audit("new-1", received));

    assertThat(repo.insertNew(List.of(audit("new-1", received), audit("new-2", received))))
        .containsExactly(audit("new-2", received));
    assertThat(repo.insertNew(List.of())).isEmpty();
  }

  private static TaskAudit audit(String id, Instant received) {
    return new TaskAudit(
        id,
        "echo",
        1,
        Outcome.PARTIAL,
        3,
        1,
        2,
        null,
        received,
        received.plusMillis(1500),
        Optional.empty());
  }

  @Test
  void cleanupMarksOnlyTheRowsStillAsItLookedAtThem(TestServices services) throws Exception {
    TaskAuditRepository rows = new TaskAuditRepository(services.dataSource());
    TaskCleanupRepository cleanup = new TaskCleanupRepository(services.dataSource());
    // why: microseconds in finished_at, as PostgreSQL keeps them: the look must match them exactly
    Instant received = Instant.parse("2026-01-01T00:00:00.123456Z");
    for (String id : List.of("look-same", "look-replaced", "look-cleaned", "look-released")) {
      rows.insert(audit(id, received));
    }
    List<TaskCleanupRepository.Finished> looked =
        cleanup.toClean("echo", received.plusSeconds(60), 100);
    assertThat(looked).hasSize(4);
    // what may happen between the look and the mark: a replay made the row anew, another patrol
    // cleaned one
    services.sql("DELETE FROM conveyor.task_audit WHERE task_id = 'look-replaced'");
    rows.insert(audit("look-replaced", received.plusSeconds(1)));
    services.sql(
        "UPDATE conveyor.task_audit SET cleaned_at = now(), cleaned_by = 7"
            + " WHERE task_id = 'look-cleaned'");
    List<TaskCleanupRepository.Finished> released =
        looked.stream().filter(f -> f.taskId().equals("look-released")).toList();
    List<TaskCleanupRepository.Finished> rest =
        looked.stream().filter(f -> !f.taskId().equals("look-released")).toList();
    Instant at = Instant.parse("2026-01-01T01:00:00Z");

    List<String> marked;
    List<String> markedReleased;
    try (var c = services.dataSource().getConnection()) {
      c.setAutoCommit(false);
      marked = cleanup.markCleaned(c, rest, at, 9, Optional.empty());
      markedReleased = cleanup.markCleaned(c, released, at, 9, Optional.of("held too long; "));
      c.commit();
    }

    assertThat(marked).containsExactly("look-same");
    assertThat(markedReleased).containsExactly("look-released");
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE cleaned_by = 9"
                    + " AND cleaned_at = '2026-01-01T01:00:00Z'"))
        .isEqualTo(2);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'look-released'"
                    + " AND cleanup_detail = 'held too long; '"))
        .isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'look-replaced'"
                    + " AND cleaned_at IS NULL"))
        .as("the row a replay made anew is for another round")
        .isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'look-cleaned'"
                    + " AND cleaned_by = 7"))
        .as("a row cleaned already keeps its mark")
        .isEqualTo(1);
  }

  @Test
  void outcomesFollowFailedParts() {
    assertThat(Outcome.of(4, 0)).isEqualTo(Outcome.DELIVERED);
    assertThat(Outcome.of(4, 1)).isEqualTo(Outcome.PARTIAL);
    assertThat(Outcome.of(4, 4)).isEqualTo(Outcome.FAILED);
  }

  @Test
  void aRejectedEntryIsStoredOncePerStreamEntry(TestServices services) {
    RejectedMessageRepository repo = new RejectedMessageRepository(services.dataSource());

    assertThat(
            repo.insert(
                "5-0", "sha-1", "payload_not_json", "Unexpected character", "{\"payload\":\"{x\"}"))
        .isTrue();
    assertThat(
            repo.insert(
                "5-0", "sha-1", "payload_not_json", "Unexpected character", "{\"payload\":\"{x\"}"))
        .isFalse();

    assertThat(repo.countByReason("payload_not_json")).isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE fields->>'payload' = '{x'"))
        .isEqualTo(1);
  }

  @Test
  void anotherEntryWithARepeatedStreamIdGetsItsOwnRow(TestServices services) {
    RejectedMessageRepository repo = new RejectedMessageRepository(services.dataSource());

    assertThat(repo.insert("6-0", "sha-1", "bad_id", "first", "{\"id\":\"a b\"}")).isTrue();
    assertThat(repo.insert("6-0", "sha-2", "bad_id", "after the inbox was recreated", "{}"))
        .isTrue();

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '6-0'"))
        .isEqualTo(2);
  }
}
