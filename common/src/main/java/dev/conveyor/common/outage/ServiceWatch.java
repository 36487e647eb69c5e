package dev.conveyor.common.outage;

import dev.conveyor.common.lifecycle.Lifecycle;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one daemon knows of the services it depends on (the runtime Redis, the inbox's Redis when it
 * is elsewhere, PostgreSQL): which are down, since when, and when each came back.
 *
 * <p>Whatever fails because of an outage reports here ({@link #failed}) instead of logging a line
 * of its own: the watch asks the service at once on a connection of its own (a {@link
 * ServiceProbe}) — one caller at a time: the others wait for its answer —, and when it does not
 * answer takes it for down and logs that once ({@code event=service_down}, WARN). While a service
 * is down it asks it every {@value #DOWN_PROBE_MILLIS} ms; when it answers again the watch logs
 * that once ({@code event=service_up down_for=...}, INFO) and wakes every thread waiting in {@link
 * #awaitUp} at once. While all is well it asks each service every {@value #UP_PROBE_SECONDS} s, so
 * an idle daemon notices an outage too — unless other work on it has just succeeded ({@link
 * #answered}). It feeds {@code /health} (degraded), {@code /status} and the gauge {@code
 * conveyor_service_up{service}}.
 */
public final class ServiceWatch extends Lifecycle {
  /** What a failure was, as far as the services go. */
  public enum Verdict {
    /** Not caused by an outage: the work failed by itself (or a bug). */
    NOT_AN_OUTAGE,
    /**
     * An outage's kind of failure, but the service answers (a pooled connection broken by a quick
     * restart, a failover): try again soon, and do not hold it against the work.
     */
    BLIP,
    /** The service is down; the watch has said so. Wait for it ({@link #awaitUp}). */
    DOWN
  }

  static final long DOWN_PROBE_MILLIS = 500;
  static final long UP_PROBE_SECONDS = 5;
  static final long ANSWERED_GRACE_MILLIS = 1000;
  private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);
  private static final long IDLE_WAIT_MILLIS = 250;

  private final Map<Service, WatchedService> services = new EnumMap<>(Service.class);
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean running;
  private volatile Thread thread;

  /**
   * @param probes the services this daemon depends on, each with its probe (closed with the watch)
   */
  public ServiceWatch(Map<Service, ServiceProbe> probes, MeterRegistry registry, Clock clock) {
    super("service-watch");
    this.clock = clock;
    probes.forEach(
        (s, p) -> services.put(s, new WatchedService(s, p, registry, clock, this::signal)));
  }

  /** The services watched. */
  public Set<Service> services() {
    return Collections.unmodifiableSet(services.keySet());
  }

  /**
   * Reports a failure. When it is an outage's kind of failure, the services of that kind are asked
   * at once (a check another thread asked for a moment ago is shared); one that does not answer is
   * down from now on, and logged so once. A failure the {@link GuardedDataSource} caused by
   * refusing while PostgreSQL was down is {@link Verdict#DOWN}, even when the watch has seen it
   * come back since: that outage was logged, and the failure is not the work's.
   */
  public Verdict failed(Throwable error) {
    Optional<Service.Kind> kind = Outages.of(error);
    if (kind.isEmpty()) {
      return Verdict.NOT_AN_OUTAGE;
    }
    if (Outages.causedBy(error, RefusedWhileDown.class)) {
      return Verdict.DOWN;
    }
    boolean down = false;
    for (WatchedService w : services.values()) {
      if (w.service.kind() == kind.get() && !w.answers(error)) {
        down = true;
      }
    }
    return down ? Verdict.DOWN : Verdict.BLIP;
  }

  /**
   * Work on {@code service} just succeeded (the heartbeat's write): the service answers, so the
   * periodic check of it while it is up waits {@value #UP_PROBE_SECONDS} s and a second more from
   * now (the second: a heartbeat every {@value #UP_PROBE_SECONDS} s comes before the check). A
   * daemon whose heartbeat beats that often sends no probe of its own while all is well, and a
   * failed beat asks the watch at once ({@link #failed}); a service known down is still asked every
   * {@value #DOWN_PROBE_MILLIS} ms until the probe says it is back.
   */
  public void answered(Service service) {
    WatchedService w = services.get(service);
    if (w != null) {
      w.answered();
    }
  }

  /** Whether every service answered at the last check. */
  public boolean allUp() {
    for (WatchedService w : services.values()) {
      if (w.down) {
        return false;
      }
    }
    return true;
  }

  public boolean isDown(Service service) {
    WatchedService w = services.get(service);
    return w != null && w.down;
  }

  /** The services down now, in declaration order. */
  public Set<Service> down() {
    Set<Service> down = EnumSet.noneOf(Service.class);
    services.forEach((s, w) -> {
      if (w.down) {
        down.add(s);
      }
    });
    return down;
  }

  /** The labels of the services down now, for {@code /health}. */
  public List<String> downLabels() {
    return down().stream().map(Service::label).toList();
  }

  /**
   * Waits until every service answers, at most {@code timeout}; returns whether they all do.
   * Returns at once when they do, and as soon as the last one is back (or the watch stops).
   */
  public boolean awaitUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!allUp()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || state().isFinal()) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return allUp();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Since when every service has answered without a break: now while one is down, the end of the
   * last outage after one, {@link Instant#EPOCH} when none was ever down. Patrol measures how long
   * a task made no progress from here at the earliest: during an outage nothing can progress.
   */
  public Instant upSince() {
    Instant since = Instant.EPOCH;
    for (WatchedService w : services.values()) {
      Instant s = w.upSince();
      if (s.isAfter(since)) {
        since = s;
      }
    }
    return since;
  }

  /** The same for one service (EPOCH when it is not watched). */
  public Instant upSince(Service service) {
    WatchedService w = services.get(service);
    return w == null ? Instant.EPOCH : w.upSince();
  }

  /** Each service: {@code up}, or since when it is down and why; for {@code /status}. */
  public Map<String, Object> status() {
    Map<String, Object> out = new LinkedHashMap<>();
    services.forEach((s, w) -> out.put(s.label(), w.status()));
    return out;
  }

  @Override
  protected void onStart() {
    running = true;
    thread = Thread.ofPlatform().name(name()).daemon().start(this::loop);
  }

  @Override
  protected void onComplete() throws InterruptedException {
    stop();
  }

  @Override
  protected void onTerminate() throws InterruptedException {
    stop();
  }

  private void stop() throws InterruptedException {
    running = false;
    signal();
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      t.join(Duration.ofSeconds(10));
    }
    services.values().forEach(WatchedService::close);
  }

  /** Checks each service when it is due: every half second while down, every 5 s while up. */
  private void loop() {
    while (running) {
      long now = System.nanoTime();
      long next = now + TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MILLIS);
      for (WatchedService w : services.values()) {
        if (!running) {
          return;
        }
        if (now - w.nextCheck >= 0) {
          w.answers(null);
        }
        next = Math.min(next, w.nextCheck);
      }
      lock.lock();
      try {
        long wait = next - System.nanoTime();
        if (running && wait > 0) {
          changed.awaitNanos(wait);
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
