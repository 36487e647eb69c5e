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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conveyor dead} in-process against a real PostgreSQL: dead items and rejected messages. */
@WithServices
class DeadCommandIT {
  private static OperatorFixture fixture;

  @BeforeAll
  static void setUp(@TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
  }

  @Test
  void deadListsDeadItemsAndRejectedMessagesNewestFirst(TestServices services) {
    DeadItemRepository dead = new DeadItemRepository(services.dataSource());
    Instant t = Instant.parse("2026-11-22T01:00:00Z");
    dead.insert(new DeadItem("dl-1", "flow", 0, "fix", 3, "older", "{}", t));
    dead.insert(new DeadItem("dl-2", "flow", 1, "fix", 3, "newer", "{\"a\":1}", t.plusSeconds(5)));
    new RejectedMessageRepository(services.dataSource())
        .insert(
            "9-1", "sha-c", "unknown_pipeline", "no pipeline 'nope'", "{\"pipeline\":\"nope\"}");

    CliRun jsonRun =
        run(fixture.env(services), "dead", "--json", "--pipeline", "flow", "--limit", "50");
    CliRun text = run(fixture.env(services), "dead", "--task", "dl-2");
    CliRun rejected = run(fixture.env(services), "dead", "--json", "--pipeline", "nope");
    CliRun badLimit = run(fixture.env(services), "dead", "--limit", "0");

    assertThat(jsonRun.code()).isEqualTo(Conveyor.EXIT_OK);
    List<JsonNode> lines =
        jsonRun
            .out()
            .lines()
            .map(OperatorFixture::json)
            .filter(n -> n.path("task_id").asText().startsWith("dl-"))
            .toList();
    assertThat(lines).extracting(n -> n.get("task_id").asText()).containsExactly("dl-2", "dl-1");
    assertThat(lines.getFirst().get("kind").asText()).isEqualTo("dead");
    assertThat(lines.getFirst().at("/payload/a").asInt()).isEqualTo(1);
    assertThat(text.out())
        .contains("dead items (1)")
        .contains("dl-2")
        .doesNotContain("dl-1")
        .contains("rejected messages (0)");
    JsonNode r = json(rejected.out().lines().toList().getLast());
    assertThat(r.get("kind").asText()).isEqualTo("rejected");
    assertThat(r.get("stream_id").asText()).isEqualTo("9-1");
    assertThat(r.at("/fields/pipeline").asText()).isEqualTo("nope");
    assertThat(badLimit.code()).isEqualTo(Conveyor.EXIT_USAGE);
  }
}
