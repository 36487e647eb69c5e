package dev.conveyor.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import dev.conveyor.common.outage.Outages;
import java.util.List;
import org.slf4j.Marker;

/**
 * Drops what the libraries (Quartz, HikariCP, Jedis, the PostgreSQL driver) warn about while Redis
 * or PostgreSQL is down: Quartz logs an ERROR with a stack trace for every failed attempt of its
 * threads, HikariCP a WARN for every broken connection, and so on, line after line for as long as
 * the outage lasts. The daemon's service watch says it once ({@code event=service_down}) and once
 * more when the service is back ({@code event=service_up}). Dropped: WARN and ERROR events of
 * loggers outside {@code dev.conveyor} whose exception (or a cause of it) is an outage ({@link
 * Outages}), and a few messages those libraries log about a broken connection without one. Any
 * other library warning or error passes.
 */
public final class LibraryOutageFilter extends TurboFilter {
  private static final List<String> BROKEN_CONNECTION_MESSAGES =
      List.of(
          // HikariCP, on a pooled connection whose server went away
          "Failed to validate connection",
          "Pool is empty, failed to create/setup connection",
          // Quartz, cleaning up a connection that broke
          "Couldn't rollback jdbc connection",
          "Failed restore connection's original auto commit setting");

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null
        || !level.isGreaterOrEqual(Level.WARN)
        || logger.getName().startsWith("dev.conveyor")) {
      return FilterReply.NEUTRAL;
    }
    Throwable thrown = t != null ? t : lastThrowable(params);
    if (thrown != null && Outages.isOutage(thrown)) {
      return FilterReply.DENY;
    }
    if (format != null) {
      for (String m : BROKEN_CONNECTION_MESSAGES) {
        if (format.contains(m)) {
          return FilterReply.DENY;
        }
      }
    }
    return FilterReply.NEUTRAL;
  }

  /** SLF4J's convention: an exception passed after the message's arguments. */
  private static Throwable lastThrowable(Object[] params) {
    return params != null && params.length > 0 && params[params.length - 1] instanceof Throwable e
        ? e
        : null;
  }
}
