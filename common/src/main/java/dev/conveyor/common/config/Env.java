package dev.conveyor.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed, validated reads of environment variables from a plain map, so tests pass a map and only
 * the daemons' {@code main} reads the real environment. Every failure is a {@link ConfigException}
 * naming the variable and what was expected.
 */
public final class Env {
  private final Map<String, String> vars;

  private Env(Map<String, String> vars) {
    this.vars = Map.copyOf(vars);
  }

  public static Env of(Map<String, String> vars) {
    return new Env(vars);
  }

  /** The process environment. */
  public static Env system() {
    return new Env(System.getenv());
  }

  /** The raw value when set and not blank. */
  public Optional<String> optional(String name) {
    String value = vars.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  /**
   * A secret from {@code NAME} or from the file named by {@code NAME_FILE} (Docker secrets); a
   * trailing newline in the file is dropped. Setting both is an error.
   */
  public Optional<Secret> secret(String name) {
    Optional<String> direct = optional(name);
    Optional<String> file = optional(name + "_FILE");
    if (direct.isPresent() && file.isPresent()) {
      throw new ConfigException("set " + name + " or " + name + "_FILE, not both");
    }
    if (file.isPresent()) {
      Path path = Path.of(file.get());
      try {
        String content = Files.readString(path, StandardCharsets.UTF_8).stripTrailing();
        if (content.isEmpty()) {
          throw new ConfigException(name + "_FILE names an empty file: " + path);
        }
        return Optional.of(Secret.of(content));
      } catch (IOException e) {
        throw new ConfigException(name + "_FILE names a file that cannot be read: " + path);
      }
    }
    return direct.map(Secret::of);
  }

  public int integer(String name, int defaultValue, int min, int max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < min || value > max) {
        throw outOfRange(name, raw.get(), min, max);
      }
      return value;
    } catch (NumberFormatException e) {
      throw outOfRange(name, raw.get(), min, max);
    }
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default ->
          throw new ConfigException(name + " must be true or false, was '" + raw.get() + "'");
    };
  }

  /** A duration such as {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or {@code PT30S}. */
  public Duration duration(String name, Duration defaultValue, Duration min) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    Duration value;
    try {
      value = Durations.parse(raw.get());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          name + " must be a duration like 500ms, 5s, 2m, 1h or PT30S, was '" + raw.get() + "'");
    }
    if (value.compareTo(min) < 0) {
      throw new ConfigException(name + " must be at least " + min + ", was '" + raw.get() + "'");
    }
    return value;
  }

  /** One of the named choices, case-insensitive. */
  public <E extends Enum<E>> E choice(String name, Class<E> type, E defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(raw.get())) {
        return constant;
      }
    }
    StringBuilder choices = new StringBuilder();
    for (E constant : type.getEnumConstants()) {
      choices
          .append(choices.isEmpty() ? "" : " or ")
          .append(constant.name().toLowerCase(Locale.ROOT));
    }
    throw new ConfigException(name + " must be " + choices + ", was '" + raw.get() + "'");
  }

  /** A value checked by {@code parser}, which throws IllegalArgumentException with the reason. */
  public <T> T parsed(String name, String defaultValue, Function<String, T> parser) {
    String raw = string(name, defaultValue);
    try {
      return parser.apply(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name + " " + e.getMessage() + ", was '" + raw + "'");
    }
  }

  private static ConfigException outOfRange(String name, String raw, int min, int max) {
    return new ConfigException(
        name + " must be an integer from " + min + " to " + max + ", was '" + raw + "'");
  }
}
