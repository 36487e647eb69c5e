package dev.conveyor.common.daemon;

import dev.conveyor.common.lifecycle.Lifecycle;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one periodic concern on a thread of its own (named like the concern) while RUNNING; pauses
 * while INTERMITTED unless it must not (a heartbeat). A failing run is logged and the next run
 * happens on time: a periodic concern never dies of one bad round.
 */
public final class PeriodicTask extends Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Duration interval;
  private final Runnable body;
  private final Runnable onStop;
  private final boolean pausable;
  private volatile ScheduledExecutorService executor;
  private volatile boolean paused;

  /**
   * @param onStop runs once after the last round, on complete (not on terminate)
   * @param pausable whether it pauses while suspended (a heartbeat does not: a suspended daemon is
   *     alive)
   */
  public PeriodicTask(
      String name, Duration interval, Runnable body, Runnable onStop, boolean pausable) {
    super(name);
    this.interval = interval;
    this.body = body;
    this.onStop = onStop;
    this.pausable = pausable;
  }

  public PeriodicTask(String name, Duration interval, Runnable body) {
    this(name, interval, body, () -> {}, true);
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
      log.atWarn()
          .addKeyValue("event", "periodic_failed")
          .addKeyValue("task", name())
          .addKeyValue("error", String.valueOf(e.getMessage()))
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
