package dev.conveyor.common.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of pipeline files: a decimal number and a unit ({@code 250ms}, {@code 1.5s},
 * {@code 5m}, {@code 2h}, {@code 1d}) or ISO-8601 ({@code PT30S}). Negative durations are refused;
 * whether zero is acceptable is up to the caller.
 */
public final class Durations {
  /** A hint for error messages. */
  public static final String EXAMPLES = "use e.g. 500ms, 1s, 5m, PT30S";

  private static final Pattern SHORT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");
  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long SECONDS_PER_MINUTE = 60;
  private static final long SECONDS_PER_HOUR = 3_600;
  private static final long SECONDS_PER_DAY = 86_400;

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException if it is neither form, negative, or finer than a nanosecond
   */
  public static Duration parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.strip();
    Matcher m = SHORT.matcher(s);
    if (m.matches()) {
      BigDecimal nanos =
          new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2))));
      try {
        return Duration.ofNanos(nanos.longValueExact());
      } catch (ArithmeticException e) {
        // why: fractions of a nanosecond, or more than ~292 years; neither is a sensible setting
        throw bad(text);
      }
    }
    if (!s.isEmpty() && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        Duration d = Duration.parse(s);
        if (!d.isNegative()) {
          return d;
        }
      } catch (DateTimeParseException e) {
        throw bad(text);
      }
    }
    throw bad(text);
  }

  /**
   * Prints {@code d} in the short form that {@link #parse} reads back: the largest whole unit
   * ({@code 2d}, {@code 90s}, {@code 250ms}), else decimal seconds ({@code 1.5s}). Negative
   * durations, which {@code parse} refuses, print as ISO-8601.
   */
  public static String format(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative()) {
      return d.toString();
    }
    long seconds = d.getSeconds();
    int nanos = d.getNano();
    if (nanos == 0) {
      if (seconds == 0) {
        return "0s";
      } else if (seconds % SECONDS_PER_DAY == 0) {
        return seconds / SECONDS_PER_DAY + "d";
      } else if (seconds % SECONDS_PER_HOUR == 0) {
        return seconds / SECONDS_PER_HOUR + "h";
      } else if (seconds % SECONDS_PER_MINUTE == 0) {
        return seconds / SECONDS_PER_MINUTE + "m";
      }
      return seconds + "s";
    }
    if (seconds == 0 && nanos % NANOS_PER_MILLI == 0) {
      return nanos / NANOS_PER_MILLI + "ms";
    }
    return BigDecimal.valueOf(seconds)
            .add(BigDecimal.valueOf(nanos, 9))
            .stripTrailingZeros()
            .toPlainString()
        + "s";
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ms" -> NANOS_PER_MILLI;
      case "s" -> NANOS_PER_SECOND;
      case "m" -> SECONDS_PER_MINUTE * NANOS_PER_SECOND;
      case "h" -> SECONDS_PER_HOUR * NANOS_PER_SECOND;
      case "d" -> SECONDS_PER_DAY * NANOS_PER_SECOND;
      default -> throw new IllegalStateException("unit " + unit);
    };
  }

  private static IllegalArgumentException bad(String text) {
    return new IllegalArgumentException("bad duration '" + text + "' (" + EXAMPLES + ")");
  }
}
