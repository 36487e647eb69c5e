package dev.conveyor.runtime.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a step tries one item, and how long it waits between tries: {@code backoff} doubled
 * after each failed attempt, capped at {@code maxBackoff}.
 *
 * @param attempts the most tries of one item, the first included
 */
public record RetryPolicy(int attempts, Duration backoff, Duration maxBackoff) {
  public static final int DEFAULT_ATTEMPTS = 3;
  public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);

  /** Three attempts, 1 s backoff, at most 5 min. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(DEFAULT_ATTEMPTS, DEFAULT_BACKOFF, DEFAULT_MAX_BACKOFF);

  public RetryPolicy {
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (attempts < 1) {
      throw new IllegalArgumentException("retry attempts must be >= 1, was " + attempts);
    }
    if (backoff.isNegative() || backoff.isZero()) {
      throw new IllegalArgumentException("retry backoff must be > 0, was " + backoff);
    }
    if (backoff.compareTo(maxBackoff) > 0) {
      throw new IllegalArgumentException(
          "retry backoff " + backoff + " must not exceed max_backoff " + maxBackoff);
    }
  }

  /**
   * The wait after failed attempt number {@code attempt} (1 = the first try): {@code backoff *
   * 2^(attempt-1)}, at most {@code maxBackoff}. No jitter; callers add their own.
   */
  public Duration backoffFor(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    int doublings = attempt - 1;
    if (doublings >= Long.SIZE - 1) {
      return maxBackoff;
    }
    try {
      Duration wait = backoff.multipliedBy(1L << doublings);
      return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    } catch (ArithmeticException overflow) {
      return maxBackoff;
    }
  }
}
