package dev.conveyor.e2e;

import static dev.conveyor.e2e.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/bin/conveyor} as an operator runs it: a real process on a daemon jar, results alone
 * on stdout (no log lines), one line on stderr for an error, and the documented exit codes.
 */
@WithServices
class ConveyorCliScriptIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void versionComesFromTheJar(@TempDir Path dir) throws Exception {
    CliRun r = run(Map.of(), dir, "--version");

    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).singleElement().asString().matches("conveyor \\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void anUnknownTaskIsExitCodeOneAndOneLineOnStderr(TestServices services, @TempDir Path dir)
      throws Exception {
    CliRun r = run(services.env(), dir, "task", "nope");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).containsExactly("conveyor: no task nope");
  }

  @Test
  void jsonIsOneObjectAloneOnStdout(TestServices services, @TempDir Path dir) throws Exception {
    Pipeline echo = PipelineLoader.loadFile(Repo.root().resolve("deploy/pipelines/echo.yaml"));
    Registration task =
        new Registration(
            "cli-1",
            echo,
            "1-0",
            Instant.parse("2026-11-22T01:22:45Z"),
            List.of("{\"text\":\"hi\"}"));
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    intake.registerAll(List.of(task));
    intake.dispatchAll(List.of(task));

    CliRun r = run(services.env(), dir, "task", "cli-1", "--json");

    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).hasSize(1);
    JsonNode json = JSON.readTree(r.out().getFirst());
    assertThat(json.get("task_id").asText()).isEqualTo("cli-1");
    assertThat(json.get("state").asText()).isEqualTo("in_flight");
    assertThat(json.at("/steps/deliver/of").asInt()).isEqualTo(1);
  }

  @Test
  void anUnreachableRedisIsExitCodeThreeAndOneLine(TestServices services, @TempDir Path dir)
      throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_REDIS_URL", "redis://127.0.0.1:1");

    CliRun r = run(env, dir, "task", "nope");

    assertThat(r.code()).isEqualTo(3);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .singleElement()
        .asString()
        .startsWith("conveyor: cannot reach Redis at redis://127.0.0.1:1: ");
  }

  @Test
  void aBadSettingIsExitCodeTwoAndOneLine(@TempDir Path dir) throws Exception {
    CliRun r = run(Map.of("CONVEYOR_PG_POOL_SIZE", "many"), dir, "task", "nope");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .containsExactly(
            "conveyor: CONVEYOR_PG_POOL_SIZE must be an integer from 1 to 200, was 'many'");
  }
}
