package dev.conveyor.cli;

import static dev.conveyor.cli.test.CliRun.run;
import static dev.conveyor.cli.test.OperatorFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.cli.test.CliRun;
import dev.conveyor.cli.test.OperatorFixture;
import dev.conveyor.cli.test.StandInDaemon;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conveyor status} in-process against a real Redis and PostgreSQL, with a live daemon (role
 * patrol) in the heartbeats.
 */
@WithServices
class StatusCommandIT {
  private static OperatorFixture fixture;
  private static StandInDaemon patrol;

  @BeforeAll
  static void setUp(TestServices services, @TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
    patrol =
        StandInDaemon.start(
            services, fixture.env(services), "patrol", "it-patrol", OperatorFixture.TOKEN);
  }

  @AfterAll
  static void tearDown() {
    patrol.complete();
  }

  @Test
  void statusShowsNodesInboxInFlightBacklogAndDeadItems(TestServices services) {
    fixture.register(services, "st-1");
    new DeadItemRepository(services.dataSource())
        .insert(new DeadItem("st-old", "flow", 0, "fix", 3, "boom", "{}", Instant.now()));

    CliRun text = run(fixture.env(services), "status");
    CliRun jsonRun = run(fixture.env(services), "status", "--json");

    assertThat(text.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(text.err()).isEmpty();
    assertThat(text.out())
        .contains("patrol  it-patrol  RUNNING")
        .contains("pipeline  flow v1: ")
        .contains("STEP     WAITING  PENDING  RETRYING  DEAD");
    assertThat(jsonRun.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(jsonRun.out().lines()).hasSize(1);
    JsonNode s = json(jsonRun.out());
    JsonNode node = s.get("nodes").get(0);
    assertThat(node.get("node").asText()).isEqualTo("it-patrol");
    assertThat(node.get("role").asText()).isEqualTo("patrol");
    assertThat(node.get("live").asBoolean()).isTrue();
    assertThat(node.get("stale").asBoolean()).isFalse();
    assertThat(node.get("http").asText()).startsWith("127.0.0.1:");
    assertThat(s.at("/inbox/stream").asText()).isEqualTo(services.keys().inbox());
    assertThat(s.at("/inbox/held").isBoolean()).isTrue();
    JsonNode p = s.get("pipelines").get(0);
    assertThat(p.get("pipeline").asText()).isEqualTo("flow");
    assertThat(p.get("in_flight").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(p.get("max_in_flight").asInt()).isEqualTo(5);
    JsonNode fix = p.get("steps").get(0);
    assertThat(fix.get("step").asText()).isEqualTo("fix");
    assertThat(fix.get("waiting").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(fix.get("dead").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(fix.has("pending")).isTrue();
    assertThat(fix.has("retrying")).isTrue();
  }
}
