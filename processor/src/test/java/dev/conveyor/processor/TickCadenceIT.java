package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a step's next tick runs. An item that arrives just after a tick's slice ended, while the
 * step is not idle, is taken by the next tick at once — not after the step's {@code offset}, which
 * is the pause after a tick that found nothing (the margins are seconds: the offset here is 6 s).
 */
@WithServices
class TickCadenceIT {

  @Test
  void anItemRightAfterABusySliceDoesNotWaitTheOffset(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - name: deliver
            kind: sink
            offset: 6s
            slice: 300ms
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "4s");
    env.put("CONVEYOR_NODE_ID", "tick-cadence-it");
    ProcessorConfig config = ProcessorConfig.from(Env.of(env));
    Pipeline echo = config.pipelines().get("echo").orElseThrow();
    Processor processor = new Processor(config);
    try {
      processor.activate();
      processor.start();
      // why: the first item is taken by a tick that then waits out its 300 ms slice; the second
      // comes 800 ms after the first was delivered, when that tick has ended
      publish(services, echo, "cadence-first", "1-1");
      await().atMost(30, SECONDS).until(() -> delivered(services, "cadence-first"));
      Thread.sleep(800);
      Instant sent = Instant.now();
      publish(services, echo, "cadence-second", "1-2");
      await().atMost(30, SECONDS).until(() -> delivered(services, "cadence-second"));
      Duration waited = Duration.between(sent, Instant.now());

      assertThat(waited).isLessThan(Duration.ofSeconds(3));
    } finally {
      processor.shutdown();
    }
  }

  private static boolean delivered(TestServices services, String taskId) {
    return services.queryLong(
            "SELECT count(*) FROM conveyor.task_audit WHERE task_id = '"
                + taskId
                + "' AND outcome = 'delivered'")
        == 1;
  }

  private static void publish(TestServices services, Pipeline echo, String taskId, String entryId) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks =
        List.of(
            new Registration(taskId, echo, entryId, Instant.now(), List.of("{\"text\":\"x\"}")));
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
  }
}
