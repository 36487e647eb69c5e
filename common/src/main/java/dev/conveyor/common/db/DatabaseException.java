package dev.conveyor.common.db;

/** A PostgreSQL operation failed; the message says which and why. */
public final class DatabaseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatabaseException(String message, Throwable cause) {
    super(message, cause);
  }
}
