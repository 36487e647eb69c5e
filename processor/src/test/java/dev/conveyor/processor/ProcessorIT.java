package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithServices
class ProcessorIT {
  private static Processor processor;
  private static Pipeline echo;

  @BeforeAll
  static void start(TestServices services, @TempDir Path pipelines) throws Exception {
    Files.writeString(
        pipelines.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - name: deliver
            kind: sink
            offset: 100ms
            batch: 50
            shards: 2
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    Files.writeString(
        pipelines.resolve("broken.yaml"),
        """
        pipeline: broken
        version: 1
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.missing, key: [task_id]}}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "1s");
    env.put("CONVEYOR_NODE_ID", "processor-it");
    ProcessorConfig config = ProcessorConfig.from(Env.of(env));
    echo = config.pipelines().get("echo").orElseThrow();
    processor = new Processor(config);
    processor.activate();
    processor.start();
  }

  @AfterAll
  static void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void aStepWhosePrerequisitesAreMissingIsDisabledWhileTheOthersRun() {
    assertThat(processor.state()).isEqualTo(State.RUNNING);
    var steps =
        processor.snapshot().children().stream()
            .filter(c -> c.name().equals("steps"))
            .findFirst()
            .orElseThrow();
    var broken =
        steps.children().stream()
            .filter(c -> c.name().equals("step broken.deliver"))
            .findFirst()
            .orElseThrow();
    var working =
        steps.children().stream()
            .filter(c -> c.name().equals("step echo.deliver"))
            .findFirst()
            .orElseThrow();

    assertThat(broken.state()).isEqualTo(State.DISABLED);
    assertThat(broken.reason()).isEqualTo("table conveyor.missing does not exist");
    assertThat(working.state()).isEqualTo(State.RUNNING);
  }

  @Test
  void everyQueuedItemBecomesOneRowAndEveryTaskOneAuditRow(TestServices services) {
    List<String> ids = publish(services, "row-", 120);

    await()
        .atMost(20, SECONDS)
        .untilAsserted(() -> {
          assertThat(
                  count(
                      services,
                      "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE 'row-%'"))
              .isEqualTo(120);
          assertThat(
                  count(
                      services,
                      "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'row-%' AND outcome = 'delivered' AND rows_delivered = 1 AND parts = 1"))
              .isEqualTo(120);
        });
    assertThat(services.jedis().zcard(services.keys().inflight("echo"))).isZero();
    assertThat(services.jedis().zscore(services.keys().finished("echo"), ids.getFirst()))
        .isNotNull();
  }

  @Test
  void redeliveredItemsDuplicateNothing(TestServices services) {
    List<String> ids = publish(services, "dup-", 30);
    await()
        .atMost(20, SECONDS)
        .untilAsserted(() ->
            assertThat(
                    count(
                        services,
                        "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'dup-%'"))
                .isEqualTo(30));

    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    List<Map.Entry<String, Integer>> again = new ArrayList<>();
    ids.forEach(id -> again.add(Map.entry(id, 0)));
    ledger.enqueue(echo, echo.step("deliver").orElseThrow(), again);

    await()
        .atMost(20, SECONDS)
        .untilAsserted(() -> {
          for (int shard = 0; shard < 2; shard++) {
            var groups =
                services.jedis().xinfoGroups(services.keys().stepQueue("echo", "deliver", shard));
            assertThat(groups.getFirst().getPending()).isZero();
            assertThat(groups.getFirst().getGroupInfo().get("lag")).isEqualTo(0L);
          }
        });
    assertThat(
            count(services, "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE 'dup-%'"))
        .isEqualTo(30);
    assertThat(
            count(services, "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'dup-%'"))
        .isEqualTo(30);
  }

  @Test
  void eachShardHasItsDurableQuartzJobAndChainTrigger(TestServices services) {
    assertThat(
            count(
                services,
                "SELECT count(*) FROM conveyor.qrtz_job_details WHERE job_group = 'echo' AND is_durable AND requests_recovery AND is_nonconcurrent"))
        .isEqualTo(2);
    assertThat(
            count(
                services,
                "SELECT count(*) FROM conveyor.qrtz_triggers WHERE trigger_group = 'echo.deliver' AND job_group = 'echo'"))
        .isEqualTo(2);
    assertThat(
            count(
                services,
                "SELECT count(*) FROM conveyor.qrtz_scheduler_state WHERE instance_name = 'processor-it'"))
        .isEqualTo(1);
  }

  private static List<String> publish(TestServices services, String prefix, int n) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(
          new Registration(
              prefix + i,
              echo,
              "1-" + i,
              Instant.now(),
              List.of("{\"text\":\"hello " + i + "\"}")));
    }
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
    return tasks.stream().map(Registration::taskId).toList();
  }

  private static long count(TestServices services, String sql) {
    return services.queryLong(sql);
  }
}
