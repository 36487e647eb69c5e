package dev.conveyor.runtime.work.command;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the threads of one {@link CommandWorker} share, under one lock: its current process (none
 * while it is down), whether it is closed, why it is down, and when its next process may start.
 * Thread-safe: the chunk holding the worker, {@link CommandWork#close()} and the step's readers of
 * {@link #downFor()} meet here.
 */
final class WorkerState {
  private static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  private final String step;
  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private final RestartBackoff backoff;
  private WorkerProcess current;
  private boolean closed;
  private String trouble = "not started";

  /** Starts a process; called with the lock held, so that closing waits for it. */
  @FunctionalInterface
  interface Launcher {
    WorkerProcess launch() throws IOException;
  }

  /** Why the worker is down and how long until it may restart. */
  record Down(String trouble, long restartInNanos) {}

  WorkerState(String step, Tuning tuning) {
    this.step = step;
    this.backoff = new RestartBackoff(tuning.firstBackoff(), tuning.maxBackoff());
  }

  /** The current process, or null while down or before the start. */
  WorkerProcess current() {
    lock.lock();
    try {
      return current;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The current process, or null while down.
   *
   * @throws CommandUnavailableException if closed
   */
  WorkerProcess currentIfOpen() {
    lock.lock();
    try {
      requireOpen();
      return current;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Why the worker is down and how long until its restart.
   *
   * @throws CommandUnavailableException if closed
   */
  Down down() {
    lock.lock();
    try {
      requireOpen();
      return new Down(trouble, backoff.nanosLeft());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Makes what {@code launcher} starts the current process.
   *
   * @throws CommandUnavailableException if closed (nothing is started then)
   */
  WorkerProcess launch(Launcher launcher) throws IOException {
    lock.lock();
    try {
      requireOpen();
      current = launcher.launch();
      return current;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The current process is gone or going: records why and, with {@code backoff}, puts off its
   * restart.
   *
   * @return how long the restart is put off
   */
  Duration failed(String why, boolean withBackoff) {
    lock.lock();
    try {
      trouble = why;
      return withBackoff ? backoff.schedule() : Duration.ZERO;
    } finally {
      lock.unlock();
    }
  }

  /** {@code p} is not the current process any more (if it was). */
  void vacate(WorkerProcess p) {
    lock.lock();
    try {
      if (current == p) {
        current = null;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The process answered: the next death waits the first backoff again. */
  void answered() {
    lock.lock();
    try {
      backoff.reset();
    } finally {
      lock.unlock();
    }
  }

  /** Refuses new processes from now on; returns the current one, if any. */
  WorkerProcess close() {
    lock.lock();
    try {
      closed = true;
      return current;
    } finally {
      lock.unlock();
    }
  }

  /**
   * @throws CommandUnavailableException if closed
   */
  void requireOpen() {
    lock.lock();
    try {
      if (closed) {
        throw new CommandUnavailableException("step " + step + " is closed");
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * How long until the worker can take an item: zero when its process runs or may be restarted now,
   * the time left before its restart otherwise, forever once closed.
   */
  Duration downFor() {
    lock.lock();
    try {
      if (closed) {
        return FOREVER;
      }
      if (current != null) {
        return Duration.ZERO;
      }
      return Duration.ofNanos(Math.max(0, backoff.nanosLeft()));
    } finally {
      lock.unlock();
    }
  }

  /** Why the worker is down, e.g. {@code exited with code 3}. */
  String trouble() {
    lock.lock();
    try {
      return trouble;
    } finally {
      lock.unlock();
    }
  }
}
