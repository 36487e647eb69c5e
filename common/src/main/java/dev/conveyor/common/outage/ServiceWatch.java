package dev.conveyor.common.outage;

import dev.conveyor.common.config.Durations;
import dev.conveyor.common.lifecycle.Lifecycle;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * an idle daemon notices an outage too. It feeds {@code /health} (degraded), {@code /status} and
 * the gauge {@code conveyor_service_up{service}}.
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
  private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);
  private static final long IDLE_WAIT_MILLIS = 250;

  private final Map<Service, Watched> services = new EnumMap<>(Service.class);
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
    probes.forEach((s, p) -> services.put(s, new Watched(s, p, registry)));
  }

  /** The services watched. */
  public Set<Service> services() {
    return Collections.unmodifiableSet(services.keySet());
  }

  /**
   * Reports a failure. When it is an outage's kind of failure, the services of that kind are asked
   * at once (a check another thread asked for a moment ago is shared); one that does not answer is
   * down from now on, and logged so once.
   */
  public Verdict failed(Throwable error) {
    Optional<Service.Kind> kind = Outages.of(error);
    if (kind.isEmpty()) {
      return Verdict.NOT_AN_OUTAGE;
    }
    boolean down = false;
    for (Watched w : services.values()) {
      if (w.service.kind() == kind.get() && !w.answers(error)) {
        down = true;
      }
    }
    return down ? Verdict.DOWN : Verdict.BLIP;
  }

  /** Whether every service answered at the last check. */
  public boolean allUp() {
    for (Watched w : services.values()) {
      if (w.down) {
        return false;
      }
    }
    return true;
  }

  public boolean isDown(Service service) {
    Watched w = services.get(service);
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
    for (Watched w : services.values()) {
      Instant s = w.upSince();
      if (s.isAfter(since)) {
        since = s;
      }
    }
    return since;
  }

  /** The same for one service (EPOCH when it is not watched). */
  public Instant upSince(Service service) {
    Watched w = services.get(service);
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
    services.values().forEach(Watched::close);
  }

  /** Checks each service when it is due: every half second while down, every 5 s while up. */
  private void loop() {
    while (running) {
      long now = System.nanoTime();
      long next = now + TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MILLIS);
      for (Watched w : services.values()) {
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

  /** One service and what the watch knows of it. */
  private final class Watched {
    final Service service;
    final ServiceProbe probe;
    final Counter outages;
    volatile boolean down;
    volatile Instant downAt;
    volatile Instant upAt = Instant.EPOCH;
    volatile String error;
    volatile long nextCheck = System.nanoTime();
    private long downAtNanos;
    private boolean closed;

    Watched(Service service, ServiceProbe probe, MeterRegistry registry) {
      this.service = service;
      this.probe = probe;
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
     * Whether the service answers: asks it now, unless a failure is reported while it is known
     * down; a service that answered until now is asked a second time before it is taken for down.
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
                  ? TimeUnit.MILLISECONDS.toNanos(DOWN_PROBE_MILLIS)
                  : TimeUnit.SECONDS.toNanos(UP_PROBE_SECONDS));
      return problem == null;
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
      signal();
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
}
