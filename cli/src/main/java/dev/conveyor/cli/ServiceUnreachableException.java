package dev.conveyor.cli;

import java.sql.SQLException;

/**
 * Redis or PostgreSQL did not answer (or refused the login) when the CLI opened it; the CLI prints
 * the message and exits with {@link Conveyor#EXIT_UNREACHABLE}.
 */
public final class ServiceUnreachableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param service {@code Redis} or {@code PostgreSQL}
   * @param where its address, password masked
   */
  public ServiceUnreachableException(String service, String where, Throwable cause) {
    super("cannot reach " + service + " at " + where + ": " + reason(cause), cause);
  }

  /** A service the command needs is not there at all (e.g. no live patrol to run a replay). */
  public ServiceUnreachableException(String message) {
    super(message);
  }

  /** What went wrong, on one line. */
  static String reason(Throwable failure) {
    Throwable root = failure;
    for (Throwable t = failure; t != null && t != t.getCause(); t = t.getCause()) {
      // why: the JDBC driver says it plainly ("Connection to h:p refused", "password
      // authentication failed"); Hikari's wrapper only repeats it after a prefix
      if (t instanceof SQLException && hasMessage(t)) {
        return oneLine(t.getMessage());
      }
      root = t;
    }
    // why: Jedis keeps the socket's reason ("Connection refused") as a suppressed exception
    Throwable detail =
        root.getSuppressed().length > 0 && hasMessage(root.getSuppressed()[0])
            ? root.getSuppressed()[0]
            : root;
    String top = hasMessage(failure) ? failure.getMessage() : failure.getClass().getSimpleName();
    if (detail != failure && hasMessage(detail) && !top.contains(detail.getMessage())) {
      top = top + " (" + detail.getMessage() + ")";
    }
    return oneLine(top);
  }

  private static boolean hasMessage(Throwable t) {
    return t.getMessage() != null && !t.getMessage().isBlank();
  }

  private static String oneLine(String s) {
    return s.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
