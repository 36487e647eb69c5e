package dev.conveyor.cli;

import static dev.conveyor.cli.test.CliRun.run;
import static dev.conveyor.cli.test.OperatorFixture.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.cli.test.CliRun;
import dev.conveyor.cli.test.OperatorFixture;
import dev.conveyor.cli.test.StandInDaemon;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conveyor suspend} and {@code resume} in-process against a live daemon (role patrol): found
 * in the heartbeats, reached through its HTTP with the admin token.
 */
@WithServices
class ControlCommandIT {
  private static OperatorFixture fixture;
  private static StandInDaemon patrol;

  @BeforeAll
  static void setUp(TestServices services, @TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
    patrol = StandInDaemon.start(services, fixture.env(services), "patrol", "it-patrol", TOKEN);
  }

  @AfterAll
  static void tearDown() {
    patrol.complete();
  }

  @Test
  void suspendAndResumeADaemonKindThroughItsHttpWithTheToken(TestServices services) {
    Map<String, String> env = fixture.withToken(services, TOKEN);

    CliRun wrong = run(fixture.withToken(services, "wrong"), "suspend", "patrol");
    CliRun suspend = run(env, "suspend", "patrol");
    CliRun resume = run(env, "resume", "it-patrol");
    CliRun none = run(env, "suspend", "dispatcher");
    CliRun noStep = run(env, "suspend", "flow.fix");

    assertThat(wrong.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(wrong.err())
        .contains("refused /suspend (401)")
        .contains("is not the daemons' admin token");
    assertThat(suspend.err()).isEmpty();
    assertThat(suspend.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(suspend.out().lines()).containsExactly("patrol it-patrol: INTERMITTED");
    assertThat(resume.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(resume.out().lines()).containsExactly("patrol it-patrol: RUNNING");
    assertThat(none.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(none.err().lines()).containsExactly("conveyor: no live node matches dispatcher");
    assertThat(noStep.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(noStep.err().lines())
        .containsExactly("conveyor: no live processor with HTTP to suspend step flow.fix");
  }

  @Test
  void anUnreachableDaemonIsExitCodeThree(TestServices services) {
    services
        .jedis()
        .hset(
            services.keys().node("ghost-1"),
            Map.of("role", "dispatcher", "state", "RUNNING", "http", "127.0.0.1:1"));
    services.jedis().zadd(services.keys().nodes(), System.currentTimeMillis(), "ghost-1");
    try {
      CliRun r = run(fixture.env(services), "resume", "ghost-1");

      assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
      assertThat(r.err().lines())
          .singleElement()
          .asString()
          .startsWith("conveyor: cannot reach node ghost-1 at http://127.0.0.1:1: ");
    } finally {
      services.jedis().del(services.keys().node("ghost-1"));
      services.jedis().zrem(services.keys().nodes(), "ghost-1");
    }
  }
}
