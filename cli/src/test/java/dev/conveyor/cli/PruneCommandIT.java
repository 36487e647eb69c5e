package dev.conveyor.cli;

import static dev.conveyor.cli.test.CliRun.run;
import static dev.conveyor.cli.test.OperatorFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.cli.test.CliRun;
import dev.conveyor.cli.test.OperatorFixture;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conveyor prune} in-process against a real PostgreSQL: rows past their retention. */
@WithServices
class PruneCommandIT {
  private static OperatorFixture fixture;

  @BeforeAll
  static void setUp(@TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
  }

  @Test
  void pruneCountsThenDeletesWhatIsPastItsRetention(TestServices services) {
    Instant old = Instant.now().minus(Duration.ofDays(40));
    Instant fresh = Instant.now().minus(Duration.ofDays(1));
    audit(services, "pr-old", old, true);
    audit(services, "pr-fresh", fresh, true);
    audit(services, "pr-not-cleaned", old, false);
    audit(services, "pr-dead-old", old, true);
    audit(services, "pr-dead-fresh", old, true);
    DeadItemRepository dead = new DeadItemRepository(services.dataSource());
    dead.insert(new DeadItem("pr-dead-old", "flow", 0, "fix", 1, "x", "{}", old));
    dead.insert(new DeadItem("pr-dead-fresh", "flow", 0, "fix", 1, "x", "{}", fresh));
    services.sql(
        "INSERT INTO conveyor.task_snapshots (task_id, pipeline, data, taken_at) VALUES"
            + " ('pr-dead-old', 'flow', '{}', now()), ('pr-dead-fresh', 'flow', '{}', now())");
    RejectedMessageRepository rejected = new RejectedMessageRepository(services.dataSource());
    rejected.insert("pr-9-0", "sha-pr-0", "bad_id", "x", "{}");
    rejected.insert("pr-9-1", "sha-pr-1", "bad_id", "x", "{}");
    services.sql(
        "UPDATE conveyor.rejected_messages SET received_at = now() - interval '40 days'"
            + " WHERE stream_id = 'pr-9-0'");
    Map<String, String> env = fixture.env(services);
    env.put("CONVEYOR_DEDUPE_WINDOW", "30d");
    env.put("CONVEYOR_DEAD_RETENTION", "30d");
    env.put("CONVEYOR_REJECTED_RETENTION", "30d");

    CliRun dry = run(env, "prune", "--dry-run", "--json");
    CliRun prune = run(env, "prune");
    CliRun again = run(env, "prune", "--dry-run");

    assertThat(dry.code()).isEqualTo(Conveyor.EXIT_OK);
    JsonNode counts = json(dry.out()).get("rows");
    assertThat(counts.get("task_audit").asLong()).as("pr-old and pr-dead-old").isEqualTo(2);
    assertThat(counts.get("dead_items").asLong()).isEqualTo(1);
    assertThat(counts.get("task_snapshots").asLong()).isEqualTo(1);
    assertThat(counts.get("rejected_messages").asLong()).isEqualTo(1);
    assertThat(prune.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(prune.out().lines())
        .first()
        .isEqualTo(
            "deleted past retention (dedupe window 30d, dead items 30d, rejected messages 30d)");
    assertThat(prune.out().lines()).last().isEqualTo("deleted 5 rows");
    assertThat(again.out().lines()).last().isEqualTo("would delete 0 rows");
    assertThat(ids(services, "SELECT task_id FROM conveyor.task_audit WHERE task_id LIKE 'pr-%'"))
        .containsExactlyInAnyOrder("pr-fresh", "pr-not-cleaned", "pr-dead-fresh");
    assertThat(ids(services, "SELECT task_id FROM conveyor.dead_items WHERE task_id LIKE 'pr-%'"))
        .containsExactly("pr-dead-fresh");
    assertThat(ids(services, "SELECT task_id FROM conveyor.task_snapshots"))
        .containsExactly("pr-dead-fresh");
    assertThat(
            ids(
                services,
                "SELECT stream_id FROM conveyor.rejected_messages WHERE stream_id LIKE 'pr-%'"))
        .containsExactly("pr-9-1");
  }

  private static void audit(TestServices services, String id, Instant finished, boolean cleaned) {
    new TaskAuditRepository(services.dataSource())
        .insert(
            new TaskAudit(
                id,
                "flow",
                1,
                TaskAudit.Outcome.DELIVERED,
                1,
                0,
                1,
                "1-0",
                finished,
                finished,
                Optional.empty()));
    if (cleaned) {
      services.sql(
          "UPDATE conveyor.task_audit SET cleaned_at = finished_at WHERE task_id = '" + id + "'");
    }
  }

  private static List<String> ids(TestServices services, String query) {
    List<String> ids = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery(query)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return ids;
  }
}
