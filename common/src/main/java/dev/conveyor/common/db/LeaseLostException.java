package dev.conveyor.common.db;

/**
 * This patrol no longer holds the patrol lease (it expired, or another patrol took it over): the
 * unit of work that found out ran nothing, and the round stops.
 */
public final class LeaseLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LeaseLostException(String message) {
    super(message);
  }
}
