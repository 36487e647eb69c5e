package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.resps.StreamPendingEntry;

@WithServices
class ForeignPendingReclaimIT {
  private static final Pipelines PIPELINES =
      Pipelines.of(
          List.of(
              PipelineLoader.parse(
                  """
                  pipeline: p
                  version: 1
                  steps:
                    - {name: a, kind: sink, timeout: 30s, sink: {table: t, key: [task_id]}}
                  """,
                  "p.yaml")));
  private static final long LONG_IDLE = Duration.ofMinutes(2).toMillis();

  @Test
  void foreignEntriesIdleLongEnoughGoToTickAndTheEmptiedConsumerIsRemoved(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String queue = services.keys().stepQueue("p", "a", 0);
    StreamGroup group = new StreamGroup(jedis, queue, Keys.PROCESSOR_GROUP);
    group.ensure();
    List<String> ids = append(jedis, queue, 7);
    group.readNew(Keys.PROCESSOR_CONSUMER, 2, Duration.ZERO);
    group.readNew("old", 3, Duration.ZERO);
    group.readNew("manual", 2, Duration.ZERO);
    backdate(jedis, queue, Keys.PROCESSOR_CONSUMER, ids.subList(0, 2));
    backdate(jedis, queue, "old", ids.subList(2, 5));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // timeout 30s: entries idle for more than a minute are taken
    ForeignPendingReclaim reclaim =
        new ForeignPendingReclaim(PIPELINES, services.keys(), services::jedis, registry);

    try (CapturedLog log = new CapturedLog(ForeignPendingReclaim.class)) {
      assertThat(reclaim.round()).isEqualTo(3);
      assertThat(reclaim.round()).as("the next round finds nothing to do").isZero();

      assertThat(log.events())
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "INFO")
                  .containsEntry("event", "pending_reclaimed")
                  .containsEntry("queue", queue)
                  .containsEntry("entries", 3)
                  .containsEntry("from", List.of("old"))
                  .containsEntry("consumers_removed", List.of("old")));
    }
    List<StreamPendingEntry> onTick = pending(jedis, queue, Keys.PROCESSOR_CONSUMER);
    assertThat(onTick)
        .extracting(e -> e.getID().toString())
        .containsExactlyElementsOf(ids.subList(0, 5));
    assertThat(onTick.subList(0, 2))
        .as("tick's own entries are not disturbed")
        .allSatisfy(e -> {
          assertThat(e.getIdleTime()).isGreaterThanOrEqualTo(LONG_IDLE);
          assertThat(e.getDeliveredTimes()).isEqualTo(1);
        });
    assertThat(pending(jedis, queue, "manual"))
        .as("entries idle for less than the minimum stay where they are")
        .extracting(e -> e.getID().toString())
        .containsExactlyElementsOf(ids.subList(5, 7));
    assertThat(group.state().consumers())
        .extracting(GroupState.Consumer::name)
        .containsExactlyInAnyOrder(Keys.PROCESSOR_CONSUMER, "manual");
    assertThat(registry.get("conveyor_patrol_pending_reclaimed_total").counter().count())
        .isEqualTo(3);
  }

  @Test
  void theMinimumIdleTimeIsTwiceTheStepTimeoutButAtLeastAMinute() {
    Pipelines pipelines =
        Pipelines.of(
            List.of(
                PipelineLoader.parse(
                    """
                    pipeline: q
                    version: 1
                    steps:
                      - {name: quick, kind: sink, timeout: 10s, sink: {table: t, key: [task_id]}}
                      - {name: slow, kind: sink, after: quick, timeout: 5m, sink: {table: t, key: [task_id]}}
                    """,
                    "q.yaml")));
    var q = pipelines.get("q").orElseThrow();

    assertThat(ForeignPendingReclaim.defaultMinIdle(q.step("quick").orElseThrow()))
        .isEqualTo(Duration.ofMinutes(1));
    assertThat(ForeignPendingReclaim.defaultMinIdle(q.step("slow").orElseThrow()))
        .isEqualTo(Duration.ofMinutes(10));
  }

  private static List<String> append(UnifiedJedis jedis, String stream, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("t", "x" + i, "p", "0")).toString());
    }
    return out;
  }

  private static List<StreamPendingEntry> pending(
      UnifiedJedis jedis, String stream, String consumer) {
    return jedis.xpending(
        stream,
        Keys.PROCESSOR_GROUP,
        XPendingParams.xPendingParams("-", "+", 100).consumer(consumer));
  }

  /** Makes entries pending on {@code consumer} look idle for two minutes (XCLAIM ... IDLE). */
  private static void backdate(
      UnifiedJedis jedis, String stream, String consumer, List<String> ids) {
    jedis.xclaimJustId(
        stream,
        Keys.PROCESSOR_GROUP,
        consumer,
        0,
        XClaimParams.xClaimParams().idle(LONG_IDLE),
        ids.stream().map(StreamEntryID::new).toArray(StreamEntryID[]::new));
  }
}
