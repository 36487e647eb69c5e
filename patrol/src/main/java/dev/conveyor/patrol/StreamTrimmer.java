package dev.conveyor.patrol;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamTrim;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Deletes stream entries that are done with, so that streams do not grow with every message ever
 * handled (DESIGN guarantee 4): each round, every step shard queue of the loaded pipelines (group
 * {@code processors}) and the inbox (group {@code dispatchers}) is trimmed up to its oldest entry
 * still pending, or up to its last delivered entry when nothing is pending; see {@link
 * StreamGroup#trimAcknowledged()}. Entries not yet delivered are never trimmed, nor a stream whose
 * group does not exist; a stream with other groups too (an inbox on a shared server) is trimmed
 * only as far as the slowest of them. One log line per round that trimmed something.
 */
final class StreamTrimmer {
  private static final Logger log = LoggerFactory.getLogger(StreamTrimmer.class);

  private final Pipelines pipelines;
  private final Keys keys;
  private final Supplier<UnifiedJedis> runtime;
  private final Supplier<UnifiedJedis> inbox;
  private final Counter trimmed;

  /**
   * @param runtime the runtime Redis, where the step queues are
   * @param inbox the inbox's Redis ({@code CONVEYOR_INBOX_URL}; the runtime one when unset)
   */
  StreamTrimmer(
      Pipelines pipelines,
      Keys keys,
      Supplier<UnifiedJedis> runtime,
      Supplier<UnifiedJedis> inbox,
      MeterRegistry registry) {
    this.pipelines = pipelines;
    this.keys = keys;
    this.runtime = runtime;
    this.inbox = inbox;
    this.trimmed =
        Counter.builder("conveyor_patrol_stream_entries_trimmed_total")
            .description("Acknowledged stream entries deleted from step queues and the inbox")
            .register(registry);
  }

  /** One round: trim every step shard queue and the inbox; returns how many entries went. */
  long round() {
    long entries = 0;
    int streams = 0;
    UnifiedJedis j = runtime.get();
    for (Pipeline p : pipelines.all()) {
      for (StepDef s : p.steps()) {
        for (int shard = 0; shard < s.shards(); shard++) {
          long n =
              new StreamTrim(
                      new StreamGroup(
                          j, keys.stepQueue(p.name(), s.name(), shard), Keys.PROCESSOR_GROUP))
                  .acknowledged();
          entries += n;
          streams += n > 0 ? 1 : 0;
        }
      }
    }
    long n =
        new StreamTrim(new StreamGroup(inbox.get(), keys.inbox(), Keys.DISPATCHER_GROUP))
            .acknowledged();
    entries += n;
    streams += n > 0 ? 1 : 0;
    if (entries > 0) {
      trimmed.increment(entries);
      log.atInfo()
          .addKeyValue("event", "streams_trimmed")
          .addKeyValue("entries", entries)
          .addKeyValue("streams", streams)
          .log();
    }
    return entries;
  }
}
