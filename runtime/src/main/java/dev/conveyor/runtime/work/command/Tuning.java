package dev.conveyor.runtime.work.command;

import java.time.Duration;
import java.util.Objects;

/**
 * The timings of a command step's workers.
 *
 * @param startGrace how long {@link CommandWork#start()} watches new workers for an exit at once (a
 *     syntax error, a missing script): such a step is not started at all
 * @param startAllowance how much longer than the step's timeout the first item of a new process may
 *     take, as it waits for the program to start (imports, models)
 * @param firstBackoff the delay before restarting a worker that died or was killed; it doubles with
 *     each further death up to {@code maxBackoff} and is reset by an answer
 * @param maxBackoff the longest delay before a restart
 * @param maxRestartWait the longest an item waits for its worker's restart; items that would wait
 *     longer fail at once, and a batch that finds every worker so far from its restart is not
 *     attempted
 * @param closeWait how long {@link CommandWork#close()} lets workers exit after closing their stdin
 */
record Tuning(
    Duration startGrace,
    Duration startAllowance,
    Duration firstBackoff,
    Duration maxBackoff,
    Duration maxRestartWait,
    Duration closeWait) {
  static final Tuning DEFAULTS =
      new Tuning(
          Duration.ofMillis(500),
          Duration.ofMinutes(1),
          Duration.ofMillis(100),
          Duration.ofSeconds(30),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5));

  Tuning {
    Objects.requireNonNull(startGrace, "startGrace");
    Objects.requireNonNull(startAllowance, "startAllowance");
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(maxRestartWait, "maxRestartWait");
    Objects.requireNonNull(closeWait, "closeWait");
    if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("backoff must satisfy 0 <= first <= max");
    }
  }

  Tuning withStartGrace(Duration grace) {
    return new Tuning(grace, startAllowance, firstBackoff, maxBackoff, maxRestartWait, closeWait);
  }

  Tuning withBackoff(Duration first, Duration max) {
    return new Tuning(startGrace, startAllowance, first, max, maxRestartWait, closeWait);
  }

  Tuning withCloseWait(Duration wait) {
    return new Tuning(startGrace, startAllowance, firstBackoff, maxBackoff, maxRestartWait, wait);
  }
}
