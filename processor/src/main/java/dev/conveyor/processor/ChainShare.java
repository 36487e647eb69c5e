package dev.conveyor.processor;

import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.quartz.QuartzTables;
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
 */
final class ChainShare {
  private static final Logger log = LoggerFactory.getLogger(ChainShare.class);

  private final QuartzTables tables;
  private final Supplier<UnifiedJedis> jedis;
  private final NodeReader nodes;
  private final String self;
  private volatile int limit = Integer.MAX_VALUE;

  ChainShare(QuartzTables tables, Supplier<UnifiedJedis> jedis, Keys keys, String self) {
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

  /** This processor and every other whose heartbeat is live and says RUNNING. */
  private int runningProcessors() {
    int others = 0;
    for (NodeBeat n : nodes.read(jedis.get())) {
      if (n.live()
          && !n.id().equals(self)
          && "processor".equals(n.role())
          && State.RUNNING.name().equals(n.state())) {
        others++;
      }
    }
    return others + 1;
  }
}
