package dev.conveyor.runtime.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * When patrol deletes a finished task's runtime data from Redis. One rule for both modes that
 * clean: a task is due once {@code grace} has passed since it finished.
 *
 * @param tolerance in mode {@link Mode#AUTO}, the share (0.0 to 1.0) of a task's delivery that may
 *     be missing while cleanup still goes ahead: both the rows its sinks' tables hold against the
 *     rows its sinks reported, and its parts not dead against all its parts, must be at least
 *     {@code 1 - tolerance}; below, the task is held (its data kept)
 * @param grace how long after a task finishes its data is kept, whatever the mode
 */
public record Cleanup(Mode mode, double tolerance, Duration grace) {
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(60);

  /** Auto mode, no tolerance, 60 s grace. */
  public static final Cleanup DEFAULT = new Cleanup(Mode.AUTO, 0.0, DEFAULT_GRACE);

  /** Whether and how patrol cleans up. */
  public enum Mode {
    /** After the grace, clean up tasks delivered within the tolerance; hold the others. */
    AUTO,
    /** After the grace, clean up every finished task, complete or not, without counting. */
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
