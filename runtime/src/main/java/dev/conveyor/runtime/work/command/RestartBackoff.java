package dev.conveyor.runtime.work.command;

import java.time.Duration;

/**
 * When a worker's next process may start: each death puts the restart a backoff away, the backoff
 * doubles with each death up to a maximum, and an answer resets it. Not thread-safe: {@link
 * CommandWorker} uses it under its lock.
 */
final class RestartBackoff {
  private final Duration first;
  private final Duration max;
  private Duration next;
  private long restartAt = System.nanoTime();

  RestartBackoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /** Puts the restart the current backoff from now, doubles the backoff; returns the delay. */
  Duration schedule() {
    Duration delay = next;
    restartAt = System.nanoTime() + delay.toNanos();
    Duration doubled = delay.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return delay;
  }

  /** After an answer: the next death waits the first backoff again. */
  void reset() {
    next = first;
  }

  /** Nanoseconds until the restart is due; zero or less when it is due now. */
  long nanosLeft() {
    return restartAt - System.nanoTime();
  }
}
