package dev.conveyor.common.config;

/**
 * A configuration value is missing or wrong. The message is one line that names the variable (or
 * the file) and says what was expected; the daemon prints it and exits with code 2. Subclasses name
 * the kind of configuration (a pipeline file).
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit code of a daemon that refuses its configuration. */
  public static final int EXIT_CODE = 2;

  public ConfigException(String message) {
    super(message);
  }

  protected ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
