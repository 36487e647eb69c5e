package dev.conveyor.processor;

import dev.conveyor.common.daemon.Heartbeat;
import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.quartz.QuartzTables;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * How many chains this processor runs at once: its fair share, ⌈active chains ÷ running
 * processors⌉, read from Quartz's store (chains not suspended) and from the heartbeats (processors
 * RUNNING, this one counted always). {@link ShareLimitedThreadPool} holds Quartz to it.
 *
 * <p>Why: a Quartz node takes every trigger due within its look-ahead that it has threads for, and
 * the node that ran a tick is the first to see its rescheduled trigger, so without a limit the
 * first processor to start keeps every chain and its replicas stay idle. With the limit, a node at
 * its share takes no more triggers; the chains it does not hold are taken by the others within a
 * second. A suspended processor is not counted, so its chains move to the running ones.
 *
 * <p>Nor is a processor Quartz took for dead ({@link #takenForDead}), though its heartbeat lives on
 * for up to three beats: otherwise the survivors would stay at their old share, their threads held
 * by ticks waiting on empty streams (the dead one fed them), and the dead one's chains would wait
 * for those ticks, up to {@code CONVEYOR_REDIS_BLOCK}. It counts again once it beats anew.
 */
final class ChainShare {
  /**
   * A node whose last beat is this old has no hash left ({@link Heartbeat#LAST_BEAT_LIFE}, and as
   * long again for the clocks of two machines): its hash is not read.
   */
  static final Duration LONG_GONE = Heartbeat.LAST_BEAT_LIFE.multipliedBy(2);

  private static final Logger log = LoggerFactory.getLogger(ChainShare.class);

  private final QuartzTables tables;
  private final Supplier<UnifiedJedis> jedis;
  private final NodeReader nodes;
  private final String self;
  private final Map<String, Instant> dead = new ConcurrentHashMap<>();
  private final Map<String, Instant> notLive = new ConcurrentHashMap<>();
  private final Clock clock;
  private volatile int limit = Integer.MAX_VALUE;

  ChainShare(
      QuartzTables tables, Supplier<UnifiedJedis> jedis, Keys keys, String self, Clock clock) {
    this.clock = clock;
    this.tables = tables;
    this.jedis = jedis;
    this.nodes = new NodeReader(keys);
    this.self = self;
  }

  /** The chains this processor may run at once; unlimited until the first {@link #refresh()}. */
  int limit() {
    return limit;
  }

  /** Counts the active chains and the running processors again and sets the limit. */
  void refresh() {
    update(tables.activeChains(), runningProcessors());
  }

  /**
   * Quartz recovered these nodes' work: they no longer count, until they beat again, and the share
   * is recounted now.
   */
  void takenForDead(Set<String> nodes) {
    Instant now = clock.instant();
    for (String node : nodes) {
      dead.put(node, now);
    }
    refresh();
  }

  /** ⌈chains ÷ processors⌉, at least 1. */
  static int share(int chains, int processors) {
    return Math.max(1, Math.ceilDiv(chains, Math.max(1, processors)));
  }

  void update(int chains, int processors) {
    int next = share(chains, processors);
    if (next != limit) {
      limit = next;
      log.atInfo()
          .addKeyValue("event", "chain_share")
          .addKeyValue("chains", chains)
          .addKeyValue("processors", processors)
          .addKeyValue("share", next)
          .log();
    }
  }

  /**
   * This processor and every other whose heartbeat is live and says RUNNING. A node's hash is read
   * only when its last beat is new since it was last found not live (dead, stopped: it beats again
   * when it comes back) and is at most {@link #LONG_GONE} old; this processor's own is not read.
   */
  private int runningProcessors() {
    int others = 0;
    Set<String> beating = new HashSet<>();
    Instant longGone = clock.instant().minus(LONG_GONE);
    Set<String> asked = new HashSet<>();
    List<NodeBeat> read =
        nodes.read(
            jedis.get(),
            (id, lastBeat) -> {
              boolean ask =
                  !id.equals(self)
                      && !lastBeat.isBefore(longGone)
                      && !lastBeat.equals(notLive.get(id));
              if (ask) {
                asked.add(id);
              }
              return ask;
            });
    for (NodeBeat n : read) {
      if (asked.contains(n.id())) {
        if (n.live()) {
          notLive.remove(n.id());
        } else {
          notLive.put(n.id(), n.lastBeat());
        }
      }
      beating.add(n.id());
      Instant deadAt = dead.get(n.id());
      if (deadAt != null && n.lastBeat().isAfter(deadAt)) {
        // why: it beat after Quartz took it for dead: it was restarted
        dead.remove(n.id(), deadAt);
        deadAt = null;
      }
      if (n.live()
          && deadAt == null
          && "processor".equals(n.role())
          && State.RUNNING.name().equals(n.state())) {
        others++;
      }
    }
    dead.keySet().retainAll(beating);
    notLive.keySet().retainAll(beating);
    return others + 1;
  }
}
