package dev.conveyor.processor;

import dev.conveyor.common.outage.ServiceWatch;
import java.time.Duration;

/**
 * The waits of the threads that run the chains, each ended early by the processor stopping: for
 * every service to answer again, or a pause. A chain's thread holds its chain while it waits.
 */
final class ChainWaits {
  private static final Duration AWAIT_SLICE = Duration.ofSeconds(1);

  private final ServiceWatch watch;
  private final Object stopSignal = new Object();
  private volatile boolean stopping;

  ChainWaits(ServiceWatch watch) {
    this.watch = watch;
  }

  /** Waits until every service answers; false when the processor stops first. */
  boolean awaitServices() {
    while (!stopping) {
      if (watch.awaitUp(AWAIT_SLICE)) {
        return true;
      }
    }
    return false;
  }

  /** Sleeps {@code d} unless the processor stops; false when it does. */
  boolean pause(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    synchronized (stopSignal) {
      while (!stopping) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          stopSignal.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }

  /** Whether the processor is stopping. */
  boolean stopping() {
    return stopping;
  }

  /** Ends every wait, now and later. */
  void stop() {
    synchronized (stopSignal) {
      stopping = true;
      stopSignal.notifyAll();
    }
  }
}
