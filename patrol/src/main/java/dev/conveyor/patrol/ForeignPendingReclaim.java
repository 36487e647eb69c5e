package dev.conveyor.patrol;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamTakeover;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Hands entries pending on a foreign consumer of a step queue back to the processors. The only
 * consumer the processors use on a step queue is {@code tick} ({@link Keys#PROCESSOR_CONSUMER}); an
 * entry pending on any other consumer (an older processor version, a manual XREADGROUP, a renamed
 * consumer) would never be read again. Each round, for every step shard queue, entries idle on
 * other consumers for longer than the step's minimum are claimed for {@code tick}, whose next tick
 * reads them from its pending list like any entry an interrupted tick left: the processor counts
 * that delivery as an attempt, so an entry delivered too often becomes a dead item there. Then the
 * foreign consumers that hold nothing are removed from the group.
 *
 * <p>Only other consumers' entries are claimed (XPENDING IDLE + XCLAIM JUSTID, see {@link
 * StreamGroup#claimIdleFromOthers}), not with XAUTOCLAIM: that would also claim {@code tick}'s own
 * idle entries (those of a suspended step, or of a shard whose processor is down), resetting their
 * idle time, and drop those of them whose content was deleted, which the processor records.
 */
final class ForeignPendingReclaim {
  /** The least idle time before an entry is taken from a foreign consumer. */
  static final Duration MIN_IDLE_FLOOR = Duration.ofMinutes(1);

  private static final Logger log = LoggerFactory.getLogger(ForeignPendingReclaim.class);
  private static final int MAX_PER_QUEUE = 10_000;

  private final Pipelines pipelines;
  private final Keys keys;
  private final Supplier<UnifiedJedis> jedis;
  private final Function<StepDef, Duration> minIdle;
  private final Counter reclaimed;
  private final Counter removed;

  /**
   * @param jedis the runtime Redis, where the step queues are
   * @param minIdle per step, how long an entry must have been idle on a foreign consumer before it
   *     is claimed: long enough that whoever holds it is surely not working on it any more
   */
  ForeignPendingReclaim(
      Pipelines pipelines,
      Keys keys,
      Supplier<UnifiedJedis> jedis,
      MeterRegistry registry,
      Function<StepDef, Duration> minIdle) {
    this.pipelines = pipelines;
    this.keys = keys;
    this.jedis = jedis;
    this.minIdle = minIdle;
    this.reclaimed =
        Counter.builder("conveyor_patrol_pending_reclaimed_total")
            .description("Step queue entries claimed from foreign consumers for the processors")
            .register(registry);
    this.removed =
        Counter.builder("conveyor_patrol_consumers_removed_total")
            .description("Foreign consumers with nothing pending removed from step queue groups")
            .register(registry);
  }

  /** With {@link #defaultMinIdle}: twice the step's timeout, at least a minute. */
  ForeignPendingReclaim(
      Pipelines pipelines, Keys keys, Supplier<UnifiedJedis> jedis, MeterRegistry registry) {
    this(pipelines, keys, jedis, registry, ForeignPendingReclaim::defaultMinIdle);
  }

  /** Twice the step's {@code timeout}, at least {@link #MIN_IDLE_FLOOR}. */
  static Duration defaultMinIdle(StepDef step) {
    Duration twice = step.timeout().multipliedBy(2);
    return twice.compareTo(MIN_IDLE_FLOOR) < 0 ? MIN_IDLE_FLOOR : twice;
  }

  /** One round over every step shard queue; returns how many entries were claimed. */
  int round() {
    int total = 0;
    UnifiedJedis j = jedis.get();
    for (Pipeline p : pipelines.all()) {
      for (StepDef s : p.steps()) {
        Duration idle = minIdle.apply(s);
        for (int shard = 0; shard < s.shards(); shard++) {
          total +=
              reclaim(
                  new StreamGroup(
                      j, keys.stepQueue(p.name(), s.name(), shard), Keys.PROCESSOR_GROUP),
                  idle);
        }
      }
    }
    return total;
  }

  private int reclaim(StreamGroup queue, Duration idle) {
    StreamTakeover takeover = new StreamTakeover(queue);
    Map<String, Integer> claimed =
        takeover.claimIdleFromOthers(Keys.PROCESSOR_CONSUMER, idle, MAX_PER_QUEUE);
    // why: a foreign consumer that holds nothing is of no use; it is removed only while it still
    // holds nothing (one script), and Redis makes it again if something reads with its name
    List<String> gone = takeover.removeIdleConsumers(Duration.ZERO, Keys.PROCESSOR_CONSUMER);
    int entries = claimed.values().stream().mapToInt(Integer::intValue).sum();
    if (entries > 0 || !gone.isEmpty()) {
      reclaimed.increment(entries);
      removed.increment(gone.size());
      log.atInfo()
          .addKeyValue("event", "pending_reclaimed")
          .addKeyValue("queue", queue.stream())
          .addKeyValue("entries", entries)
          .addKeyValue("from", List.copyOf(claimed.keySet()))
          .addKeyValue("consumers_removed", gone)
          .log();
    }
    return entries;
  }
}
