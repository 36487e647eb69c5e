package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
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

@WithServices
class StreamTrimmerIT {
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
  void stepQueuesAndTheInboxKeepExactlyTheirPendingAndUndeliveredEntries(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    String queue = keys.stepQueue("p", "a", 0);
    StreamGroup tick = new StreamGroup(jedis, queue, Keys.PROCESSOR_GROUP);
    tick.ensure();
    List<String> queued = append(jedis, queue, 6);
    tick.readNew(Keys.PROCESSOR_CONSUMER, 4, Duration.ZERO);
    tick.ack(queued.subList(0, 2)); // 2 acked, 2 pending, 2 never delivered
    String withoutGroup = keys.stepQueue("p", "a", 1);
    List<String> ungrouped = append(jedis, withoutGroup, 3);
    StreamGroup inbox = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    inbox.ensure();
    List<String> inboxed = append(jedis, keys.inbox(), 4);
    inbox.ack(ids(inbox.readNew("dispatcher-1", 3, Duration.ZERO)));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StreamTrimmer trimmer =
        new StreamTrimmer(PIPELINES, keys, services::jedis, services::jedis, registry);

    try (CapturedLog log = new CapturedLog(StreamTrimmer.class)) {
      assertThat(trimmer.round()).isEqualTo(5);
      assertThat(trimmer.round()).as("nothing more is done with").isZero();

      assertThat(log.events())
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "INFO")
                  .containsEntry("event", "streams_trimmed")
                  .containsEntry("entries", 5L)
                  .containsEntry("streams", 2));
    }
    assertThat(entries(jedis, queue)).containsExactlyElementsOf(queued.subList(2, 6));
    assertThat(entries(jedis, withoutGroup))
        .as("a queue without the processors' group is left alone")
        .containsExactlyElementsOf(ungrouped);
    assertThat(entries(jedis, keys.inbox())).containsExactlyElementsOf(inboxed.subList(3, 4));
    assertThat(tick.readPending(Keys.PROCESSOR_CONSUMER, 10))
        .extracting(StreamMessage::id)
        .containsExactlyElementsOf(queued.subList(2, 4));
    assertThat(registry.get("conveyor_patrol_stream_entries_trimmed_total").counter().count())
        .isEqualTo(5);
  }

  private static List<String> append(UnifiedJedis jedis, String stream, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("t", "x" + i, "p", "0")).toString());
    }
    return out;
  }

  private static List<String> ids(List<StreamMessage> messages) {
    return messages.stream().map(StreamMessage::id).toList();
  }

  private static List<String> entries(UnifiedJedis jedis, String stream) {
    return jedis.xrange(stream, "-", "+").stream().map(e -> e.getID().toString()).toList();
  }
}
