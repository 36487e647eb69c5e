package dev.conveyor.common.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * When patrol deletes a finished task's runtime data from Redis.
 *
 * @param tolerance the share of a task's parts (0.0 to 1.0) that may be missing from the audit
 *     while cleanup still goes ahead in mode {@link Mode#AUTO}
 * @param grace how long after a task finishes its data is kept
 */
public record Cleanup(Mode mode, double tolerance, Duration grace) {
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(60);

  /** Auto mode, no tolerance, 60 s grace. */
  public static final Cleanup DEFAULT = new Cleanup(Mode.AUTO, 0.0, DEFAULT_GRACE);

  /** Whether and how patrol cleans up. */
  public enum Mode {
    /** Clean up tasks whose audit is complete within the tolerance. */
    AUTO,
    /** Clean up every finished task after the grace period, complete or not. */
    FORCE,
    /** Never clean up (for debugging; Redis grows with every task). */
    OFF
  }

  public Cleanup {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(grace, "grace");
    if (!(tolerance >= 0.0 && tolerance <= 1.0)) {
      throw new IllegalArgumentException(
          "cleanup tolerance must be from 0.0 to 1.0, was " + tolerance);
    }
    if (grace.isNegative() || grace.isZero()) {
      throw new IllegalArgumentException("cleanup grace must be > 0, was " + grace);
    }
  }
}
