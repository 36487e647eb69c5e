package dev.conveyor.patrol;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One patrol round: the backlog report (every replica), then — only on the replica holding the
 * lease — the completeness audit, the cleanup and the other chores, ending with one summary line
 * ({@code event=patrol_round}) and the same figures in {@code /status}.
 */
final class PatrolCycle {
  private static final Logger log = LoggerFactory.getLogger(PatrolCycle.class);

  private final PatrolLease lease;
  private final CompletenessAudit audit;
  private final TaskCleanup cleanup;
  private final BacklogReport backlog;
  private final List<Chore> chores;
  private final Timer timer;
  private volatile Map<String, Object> last = Map.of("role", "starting");
  private boolean standby;

  PatrolCycle(
      PatrolLease lease,
      CompletenessAudit audit,
      TaskCleanup cleanup,
      BacklogReport backlog,
      List<Chore> chores,
      MeterRegistry registry) {
    this.lease = lease;
    this.audit = audit;
    this.cleanup = cleanup;
    this.backlog = backlog;
    this.chores = List.copyOf(chores);
    this.timer = registry.timer("conveyor_patrol_round");
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
    CompletenessAudit.Round a = audit.round();
    TaskCleanup.Round c = cleanup.round(token.getAsLong());
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("role", "active");
    summary.put("in_flight", a.inFlight());
    summary.put("examined", a.examined());
    summary.put("stuck", a.stuck());
    summary.put("redriven", a.redriven());
    summary.put("dead", a.deadParts());
    summary.put("lost", a.lost());
    summary.put("finished", a.finished());
    summary.put("cleaned", c.cleaned());
    summary.put("held", c.held());
    summary.put("recleaned", c.recleaned());
    for (Chore chore : chores) {
      summary.put(chore.name(), chore.round());
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    timer.record(took);
    summary.put("ms", took.toMillis());
    last = Map.copyOf(summary);
    LoggingEventBuilder line = log.atInfo().addKeyValue("event", "patrol_round");
    summary.forEach((k, v) -> {
      if (!k.equals("role")) {
        line.addKeyValue(k, v);
      }
    });
    line.log();
  }

  /** The last round's figures, for {@code /status}. */
  Map<String, Object> last() {
    return last;
  }

  void stop() {
    lease.release();
  }
}
