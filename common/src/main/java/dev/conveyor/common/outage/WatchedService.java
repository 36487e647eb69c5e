package dev.conveyor.common.outage;

import dev.conveyor.common.config.Durations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service of a {@link ServiceWatch} and what the watch knows of it: whether it answers (asked
 * through its probe), since when it is down and why, when it came back; logs the outage once each
 * way and feeds the gauge {@code conveyor_service_up} and the counter {@code
 * conveyor_service_outages}.
 */
final class WatchedService {
  // why: the watch's events, whichever part of it writes them
  private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);

  final Service service;
  final ServiceProbe probe;
  private final Clock clock;
  private final Runnable onBack;
  final Counter outages;
  volatile boolean down;
  volatile Instant downAt;
  volatile Instant upAt = Instant.EPOCH;
  volatile String error;
  volatile long nextCheck = System.nanoTime();
  private long downAtNanos;
  private boolean closed;

  /**
   * @param onBack called when the service answers again after an outage (the watch wakes its
   *     waiters)
   */
  WatchedService(
      Service service, ServiceProbe probe, MeterRegistry registry, Clock clock, Runnable onBack) {
    this.service = service;
    this.probe = probe;
    this.clock = clock;
    this.onBack = onBack;
    Gauge.builder("conveyor_service_up", this, w -> w.down ? 0 : 1)
        .description("1 while the service answers, 0 while it is down")
        .tag("service", service.label())
        .register(registry);
    this.outages =
        Counter.builder("conveyor_service_outages")
            .description("Times the service was found down")
            .tag("service", service.label())
            .register(registry);
  }

  /**
   * Whether the service answers: asks it now, unless a failure is reported while it is known down;
   * a service that answered until now is asked a second time before it is taken for down.
   *
   * @param failure what made the caller ask (null for the periodic check)
   */
  synchronized boolean answers(Throwable failure) {
    if (closed || (down && failure != null)) {
      // why: a burst of failures from one outage waits here for the first one's check
      return !down;
    }
    // why: a caller that failed could not use its connection; one the probe kept may still work
    Exception problem = ask(failure != null);
    if (problem != null && !down) {
      // why: one lost answer under load is not an outage; ask once more before saying so
      problem = ask(true);
    }
    if (problem == null && down) {
      cameBack();
    } else if (problem != null && !down) {
      wentDown(problem, failure);
    }
    nextCheck =
        System.nanoTime()
            + (down
                ? TimeUnit.MILLISECONDS.toNanos(ServiceWatch.DOWN_PROBE_MILLIS)
                : TimeUnit.SECONDS.toNanos(ServiceWatch.UP_PROBE_SECONDS));
    return problem == null;
  }

  /** Work on the service succeeded: while it is up, its next periodic check moves a period on. */
  synchronized void answered() {
    if (!down && !closed) {
      nextCheck =
          System.nanoTime()
              + TimeUnit.SECONDS.toNanos(ServiceWatch.UP_PROBE_SECONDS)
              + TimeUnit.MILLISECONDS.toNanos(ServiceWatch.ANSWERED_GRACE_MILLIS);
    }
  }

  synchronized void close() {
    closed = true;
    probe.close();
  }

  private Exception ask(boolean fresh) {
    try {
      probe.check(fresh);
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  private void wentDown(Exception problem, Throwable failure) {
    downAt = clock.instant();
    downAtNanos = System.nanoTime();
    error = String.valueOf(problem.getMessage());
    down = true;
    outages.increment();
    var line =
        log.atWarn()
            .addKeyValue("event", "service_down")
            .addKeyValue("service", service.label())
            .addKeyValue("error", error);
    if (failure != null) {
      line.addKeyValue("failure", String.valueOf(failure.getMessage()));
    }
    line.log();
  }

  private void cameBack() {
    Duration downFor =
        Duration.ofNanos(System.nanoTime() - downAtNanos).truncatedTo(ChronoUnit.MILLIS);
    upAt = clock.instant();
    down = false;
    error = null;
    log.atInfo()
        .addKeyValue("event", "service_up")
        .addKeyValue("service", service.label())
        .addKeyValue("down_for", Durations.format(downFor))
        .log();
    onBack.run();
  }

  Instant upSince() {
    return down ? clock.instant() : upAt;
  }

  Object status() {
    if (!down) {
      return "up";
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("state", "down");
    s.put("since", String.valueOf(downAt));
    s.put("error", error);
    return s;
  }
}
