package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.status.StepBacklog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;

@WithServices
class BacklogReportIT {
  private static final Pipelines PIPELINES =
      Pipelines.of(
          List.of(
              PipelineLoader.parse(
                  """
                  pipeline: p
                  version: 1
                  steps:
                    - {name: a, kind: sink, shards: 2, sink: {table: t, key: [task_id]}}
                    - {name: b, kind: sink, after: a, sink: {table: t, key: [task_id]}}
                  """,
                  "p.yaml")));

  @Test
  void waitingAndPendingEntriesAreCountedPerShardAndPublished(TestServices services) {
    Keys keys = services.keys();
    String queue = keys.stepQueue("p", "a", 1);
    StreamGroup group = new StreamGroup(services.jedis(), queue, Keys.PROCESSOR_GROUP);
    group.ensure();
    for (int i = 0; i < 5; i++) {
      services.jedis().xadd(queue, StreamEntryID.NEW_ENTRY, Map.of("t", "x" + i, "p", "0"));
    }
    group.readNew("tick", 2, Duration.ZERO);
    services.jedis().zadd(keys.inflight("p"), 1, "x0");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    BacklogReport report = new BacklogReport(PIPELINES, keys, services::jedis, registry);

    report.round();

    assertThat(report.last())
        .containsExactly(
            new StepBacklog("p", "a", 0, 0, 0, 0),
            new StepBacklog("p", "a", 1, 3, 2, 0),
            new StepBacklog("p", "b", 0, 0, 0, 0));
    assertThat(report.inflight()).isEqualTo(Map.of("p", 1L));
    assertThat(registry.get("conveyor_step_backlog").tag("step", "a").gauge().value()).isEqualTo(5);
    assertThat(registry.get("conveyor_tasks_inflight").tag("pipeline", "p").gauge().value())
        .isEqualTo(1);
  }

  @Test
  void theRedisMemoryIsPublishedWhenRead(TestServices services) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    BacklogReport report = new BacklogReport(PIPELINES, services.keys(), services::jedis, registry);
    assertThat(registry.get("conveyor_redis_used_memory").gauge().value())
        .as("unknown before it is read")
        .isNaN();

    report.memory();

    assertThat(registry.get("conveyor_redis_used_memory").gauge().value()).isPositive();
    assertThat(registry.get("conveyor_redis_maxmemory").gauge().value()).isNotNegative();
  }
}
