package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.LifecycleSnapshot;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The patrol daemon as its main starts it: its Quartz client, chain repair, threads. */
@WithServices
class PatrolDaemonIT {

  @Test
  void thePatrolRunsItsChainRepairOnAQuartzClientThatNeverJoinsTheClusterAndLeavesNoThreads(
      TestServices services, @TempDir Path pipelines) throws Exception {
    Files.writeString(
        pipelines.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_NODE_ID", "patrol-it");
    env.put("CONVEYOR_PATROL_INTERVAL", "200ms");
    Patrol patrol = new Patrol(PatrolConfig.from(Env.of(env)));
    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      patrol.activate();
      patrol.start();

      assertThat(patrol.state()).isEqualTo(State.RUNNING);
      assertThat(childStates(patrol.snapshot()))
          .containsEntry("quartz", State.RUNNING)
          .containsEntry("patrol", State.RUNNING);
      // no processor ran here: the chain has no job, which is reported, not created
      await().atMost(5, SECONDS).until(() -> !log.events("chain_missing_job").isEmpty());
      assertThat(services.queryLong("SELECT count(*) FROM conveyor.qrtz_job_details")).isZero();
      assertThat(services.queryLong("SELECT count(*) FROM conveyor.qrtz_scheduler_state")).isZero();
    } finally {
      patrol.shutdown();
    }

    assertThat(patrol.state()).isEqualTo(State.COMPLETED);
    await()
        .atMost(5, SECONDS)
        .until(() -> {
          Set<String> names =
              Thread.getAllStackTraces().keySet().stream()
                  .filter(Thread::isAlive)
                  .map(Thread::getName)
                  .collect(Collectors.toSet());
          return !names.contains("quartz-client-patrol-patrol-it") && !names.contains("patrol");
        });
  }

  private static Map<String, State> childStates(LifecycleSnapshot snapshot) {
    Map<String, State> states = new HashMap<>();
    for (LifecycleSnapshot child : snapshot.children()) {
      states.put(child.name(), child.state());
    }
    return states;
  }
}
