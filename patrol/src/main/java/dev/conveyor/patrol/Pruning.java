package dev.conveyor.patrol;

import dev.conveyor.runtime.records.Retention;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/**
 * The retention of PostgreSQL's rows, as part of the round: at most {@code budget} rows of each
 * table per round, in fenced batches ({@link Retention}, the same rules as {@code conveyor prune}).
 */
final class Pruning {
  private final Retention retention;
  private final Clock clock;
  private final int budget;
  private final Counter audit;
  private final Counter dead;
  private final Counter snapshots;
  private final Counter rejected;

  Pruning(Retention retention, Clock clock, int budget, MeterRegistry registry) {
    this.retention = retention;
    this.clock = clock;
    this.budget = budget;
    this.audit = counter(registry, "task_audit");
    this.dead = counter(registry, "dead_items");
    this.snapshots = counter(registry, "task_snapshots");
    this.rejected = counter(registry, "rejected_messages");
  }

  Retention.Counts round(LeaseFence fence) {
    Retention.Counts n = retention.delete(clock.instant(), fence, budget);
    audit.increment(n.taskAudit());
    dead.increment(n.deadItems());
    snapshots.increment(n.taskSnapshots());
    rejected.increment(n.rejectedMessages());
    return n;
  }

  private static Counter counter(MeterRegistry registry, String table) {
    return Counter.builder("conveyor_patrol_pruned_total")
        .description("rows deleted past their retention")
        .tag("table", table)
        .register(registry);
  }
}
