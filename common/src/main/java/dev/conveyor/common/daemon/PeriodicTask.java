package dev.conveyor.common.daemon;

import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.outage.ServiceWatch;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one periodic concern on a thread of its own (named like the concern) while RUNNING; pauses
 * while INTERMITTED unless it must not (a heartbeat). A failing run is reported and the next run
 * happens on time: a periodic concern never dies of one bad round. A round that failed because a
 * service is down says nothing of its own (the service watch logged the outage once); any other
 * failure is a WARN ({@code periodic_failed}); an {@link Error} (a bug: a missing class, a stack
 * overflow, an assertion) is an ERROR with its stack trace ({@code periodic_error}), and the task
 * still runs its next round — an {@code Error} escaping the round would cancel it silently.
 */
public final class PeriodicTask extends Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Duration interval;
  private final Runnable body;
  private final Runnable onStop;
  private final boolean pausable;
  private final ServiceWatch watch;
  private volatile ScheduledExecutorService executor;
  private volatile boolean paused;

  /**
   * @param onStop runs once after the last round, on complete (not on terminate)
   * @param pausable whether it pauses while suspended (a heartbeat does not: a suspended daemon is
   *     alive)
   */
  public PeriodicTask(
      String name,
      Duration interval,
      Runnable body,
      Runnable onStop,
      boolean pausable,
      ServiceWatch watch) {
    super(name);
    this.interval = interval;
    this.body = body;
    this.onStop = onStop;
    this.pausable = pausable;
    this.watch = watch;
  }

  /** A task whose failures are all logged, outages included (no service watch). */
  public PeriodicTask(
      String name, Duration interval, Runnable body, Runnable onStop, boolean pausable) {
    this(name, interval, body, onStop, pausable, null);
  }

  public PeriodicTask(String name, Duration interval, Runnable body, ServiceWatch watch) {
    this(name, interval, body, () -> {}, true, watch);
  }

  public PeriodicTask(String name, Duration interval, Runnable body) {
    this(name, interval, body, () -> {}, true, null);
  }

  @Override
  protected void onStart() {
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name(name()).unstarted(r));
    executor.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  protected void onSuspend() {
    paused = pausable;
  }

  @Override
  protected void onResume() {
    paused = false;
  }

  @Override
  protected void onComplete() {
    stop();
    onStop.run();
  }

  @Override
  protected void onTerminate() {
    stop();
  }

  private void round() {
    if (paused) {
      return;
    }
    try {
      body.run();
    } catch (RuntimeException e) {
      if (watch == null || watch.failed(e) != ServiceWatch.Verdict.DOWN) {
        log.atWarn()
            .addKeyValue("event", "periodic_failed")
            .addKeyValue("task", name())
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
      }
    } catch (Error e) {
      // why: an Error thrown out of the round would cancel the task for good, and silently
      log.atError()
          .addKeyValue("event", "periodic_error")
          .addKeyValue("task", name())
          .addKeyValue("error", String.valueOf(e))
          .setCause(e)
          .log();
    }
  }

  private void stop() {
    ScheduledExecutorService e = executor;
    if (e == null) {
      return;
    }
    e.shutdown();
    try {
      if (!e.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        e.shutdownNow();
      }
    } catch (InterruptedException ie) {
      e.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
