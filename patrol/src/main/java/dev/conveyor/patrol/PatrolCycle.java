package dev.conveyor.patrol;

import dev.conveyor.common.db.LeaseLostException;
import dev.conveyor.runtime.records.Retention;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One patrol round: the backlog report (every replica), then — only on the replica holding the
 * lease — the completeness audit, the chores, and what writes behind the lease: cleanup, the
 * release of held tasks, the repeated cleanup, the retention of rows; one summary line ({@code
 * event=patrol_round}) and the same figures in {@code /status}.
 *
 * <p>A round may take longer than the lease's TTL: the lease keeper renews it meanwhile. Once the
 * lease is lost (not renewed in time, and another patrol took it), the round stops at the next step
 * or batch ({@code stopped=lease_lost}); whatever it would write then is refused in PostgreSQL by
 * the fence anyway.
 */
final class PatrolCycle {
  private static final Logger log = LoggerFactory.getLogger(PatrolCycle.class);

  /** What runs under the lease, in this order. */
  record Work(
      CompletenessAudit audit,
      List<Chore> chores,
      TaskCleanup cleanup,
      HeldRelease release,
      CleanupRepeat repeat,
      Pruning pruning) {
    Work {
      chores = List.copyOf(chores);
    }
  }

  private final PatrolLease lease;
  private final Work work;
  private final BacklogReport backlog;
  private final Timer timer;
  private final Counter cleaned;
  private final Counter held;
  private final AtomicLong lastCleanup = new AtomicLong();
  private final Counter stopped;
  private volatile Map<String, Object> last = Map.of("role", "starting");
  private boolean standby;

  PatrolCycle(PatrolLease lease, Work work, BacklogReport backlog, MeterRegistry registry) {
    this.lease = lease;
    this.work = work;
    this.backlog = backlog;
    this.timer =
        Timer.builder("conveyor_patrol_round")
            .description("one patrol round under the lease")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    this.cleaned =
        Counter.builder("conveyor_patrol_tasks_cleaned_total")
            .description("finished tasks whose runtime data was deleted")
            .register(registry);
    this.held =
        Counter.builder("conveyor_patrol_tasks_held_total")
            .description("finished tasks whose data was kept: delivery below tolerance")
            .register(registry);
    Gauge.builder("conveyor_patrol_cleanup_last_run", lastCleanup, v -> v.get() / 1000.0)
        .description("unix time of this patrol's last completed cleanup (0: none yet)")
        .baseUnit("seconds")
        .register(registry);
    this.stopped =
        Counter.builder("conveyor_patrol_rounds_stopped_total")
            .description("rounds stopped because the patrol lost its lease")
            .register(registry);
  }

  void round() {
    backlog.round();
    OptionalLong token = lease.hold();
    if (token.isEmpty()) {
      if (!standby) {
        log.atInfo()
            .addKeyValue("event", "patrol_standby")
            .addKeyValue("reason", "another patrol holds the lease")
            .log();
        standby = true;
      }
      last = Map.of("role", "standby");
      return;
    }
    standby = false;
    long start = System.nanoTime();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("role", "active");
    try {
      underLease(lease.fence(), summary);
    } catch (LeaseLostException e) {
      stopped.increment();
      summary.put("stopped", "lease_lost");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    timer.record(took);
    summary.put("ms", took.toMillis());
    last = Map.copyOf(summary);
    LoggingEventBuilder line = summary.containsKey("stopped") ? log.atWarn() : log.atInfo();
    line = line.addKeyValue("event", "patrol_round");
    for (Map.Entry<String, Object> e : summary.entrySet()) {
      if (!e.getKey().equals("role")) {
        line = line.addKeyValue(e.getKey(), e.getValue());
      }
    }
    line.log();
  }

  private void underLease(LeaseFence fence, Map<String, Object> summary) {
    CompletenessAudit.Round a = work.audit().round();
    summary.put("in_flight", a.inFlight());
    summary.put("examined", a.examined());
    summary.put("stuck", a.stuck());
    summary.put("redriven", a.redriven());
    summary.put("dead", a.deadParts());
    summary.put("lost", a.lost());
    summary.put("finished", a.finished());
    for (Chore chore : work.chores()) {
      stillHeld();
      summary.put(chore.name(), chore.round());
    }
    stillHeld();
    TaskCleanup.Round c = work.cleanup().round(fence);
    summary.put("cleaned", c.cleaned());
    summary.put("held", c.held());
    cleaned.increment(c.cleaned());
    held.increment(c.held());
    lastCleanup.set(System.currentTimeMillis());
    stillHeld();
    summary.put("released", work.release().round(fence));
    stillHeld();
    summary.put("recleaned", work.repeat().round(fence));
    stillHeld();
    Retention.Counts p = work.pruning().round(fence);
    summary.put("pruned_audit", p.taskAudit());
    summary.put("pruned_dead", p.deadItems());
    summary.put("pruned_snapshots", p.taskSnapshots());
    summary.put("pruned_rejected", p.rejectedMessages());
    // why: one reader is enough (the alert takes the max); after the work, so a standby patrol's
    // round and the lease's work are not delayed by it
    backlog.memory();
  }

  /** Stops the round (between steps) once this patrol knows it lost the lease. */
  private void stillHeld() {
    if (!lease.held()) {
      throw new LeaseLostException("the patrol lease was lost during the round");
    }
  }

  /** The last round's figures, for {@code /status}. */
  Map<String, Object> last() {
    return last;
  }

  /** The lease keeper's job, on its own thread: renews the lease while this patrol holds it. */
  void renewLease() {
    lease.renew();
  }

  void stop() {
    lease.release();
  }
}
