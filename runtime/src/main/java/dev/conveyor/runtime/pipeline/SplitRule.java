package dev.conveyor.runtime.pipeline;

import java.util.Objects;

/**
 * How the dispatcher cuts a task's payload into parts. {@code field} and {@code maxChars} matter
 * only in mode {@link Mode#TEXT}; in mode {@link Mode#NONE} they hold the defaults.
 *
 * @param field the payload field holding the text to split
 * @param maxChars the most characters in one part
 */
public record SplitRule(Mode mode, String field, int maxChars) {
  public static final String DEFAULT_FIELD = "text";
  public static final int DEFAULT_MAX_CHARS = 2000;
  public static final int MIN_MAX_CHARS = 50;

  /** One part per task. */
  public static final SplitRule NONE = new SplitRule(Mode.NONE, DEFAULT_FIELD, DEFAULT_MAX_CHARS);

  /** How a payload becomes parts. */
  public enum Mode {
    /** The whole payload is one part. */
    NONE,
    /** The text in {@code field} is cut into parts of at most {@code maxChars} characters. */
    TEXT
  }

  public SplitRule {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(field, "field");
    if (field.isBlank()) {
      throw new IllegalArgumentException("split field must not be blank");
    }
    if (maxChars < MIN_MAX_CHARS) {
      throw new IllegalArgumentException(
          "split max_chars must be >= " + MIN_MAX_CHARS + ", was " + maxChars);
    }
  }
}
