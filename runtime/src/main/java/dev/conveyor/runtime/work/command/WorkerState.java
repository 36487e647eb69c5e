package dev.conveyor.runtime.work.command;

import java.io.IOException;
import java.time.Duration;

/**
 * What the threads of one {@link CommandWorker} share, under its monitor: its current process (none
 * while it is down), whether it is closed, why it is down, and when its next process may start.
 * Thread-safe: the chunk holding the worker, {@link CommandWork#close()} and the step's readers of
 * {@link #downFor()} meet here.
 */
final class WorkerState {
  private static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  private final String step;
  // guarded by this (why: a monitor no longer pins a virtual thread, since Java 24)
  private final RestartBackoff backoff;
  private WorkerProcess current;
  private boolean closed;
  private String trouble = "not started";

  /** Starts a process; called holding the monitor, so that closing waits for it. */
  @FunctionalInterface
  interface Launcher {
    WorkerProcess launch() throws IOException;
  }

  /** Why the worker is down and how long until it may restart. */
  record Restart(String trouble, long inNanos) {}

  WorkerState(String step, Tuning tuning) {
    this.step = step;
    this.backoff = new RestartBackoff(tuning.firstBackoff(), tuning.maxBackoff());
  }

  /** The current process, or null while down or before the start. */
  synchronized WorkerProcess current() {
    return current;
  }

  /**
   * The current process, or null while down.
   *
   * @throws CommandUnavailableException if closed
   */
  synchronized WorkerProcess currentIfOpen() {
    requireOpen();
    return current;
  }

  /**
   * Why the worker is down and how long until its restart.
   *
   * @throws CommandUnavailableException if closed
   */
  synchronized Restart restart() {
    requireOpen();
    return new Restart(trouble, backoff.nanosLeft());
  }

  /**
   * Makes what {@code launcher} starts the current process.
   *
   * @throws CommandUnavailableException if closed (nothing is started then)
   */
  synchronized WorkerProcess launch(Launcher launcher) throws IOException {
    requireOpen();
    current = launcher.launch();
    return current;
  }

  /**
   * The current process is gone or going: records why and, with {@code backoff}, puts off its
   * restart.
   *
   * @return how long the restart is put off
   */
  synchronized Duration failed(String why, boolean withBackoff) {
    trouble = why;
    return withBackoff ? backoff.schedule() : Duration.ZERO;
  }

  /** {@code p} is not the current process any more (if it was). */
  synchronized void vacate(WorkerProcess p) {
    if (current == p) {
      current = null;
    }
  }

  /** The process answered: the next death waits the first backoff again. */
  synchronized void answered() {
    backoff.reset();
  }

  /** Refuses new processes from now on; returns the current one, if any. */
  synchronized WorkerProcess close() {
    closed = true;
    return current;
  }

  /**
   * @throws CommandUnavailableException if closed
   */
  synchronized void requireOpen() {
    if (closed) {
      throw new CommandUnavailableException("step " + step + " is closed");
    }
  }

  /**
   * How long until the worker can take an item: zero when its process runs or may be restarted now,
   * the time left before its restart otherwise, forever once closed.
   */
  synchronized Duration downFor() {
    if (closed) {
      return FOREVER;
    }
    if (current != null) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0, backoff.nanosLeft()));
  }

  /** Why the worker is down, e.g. {@code exited with code 3}. */
  synchronized String trouble() {
    return trouble;
  }
}
