package dev.conveyor.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

class LibraryOutageFilterTest {
  private final LoggerContext context = new LoggerContext();
  private final LibraryOutageFilter filter = new LibraryOutageFilter();

  private FilterReply decide(
      String logger, Level level, String format, Object[] params, Throwable t) {
    Logger l = context.getLogger(logger);
    return filter.decide(null, l, level, format, params, t);
  }

  @Test
  void aLibrarysWarningOrErrorAboutAnOutageIsDropped() {
    SQLException outage = new SQLException("Connection refused", "08001");
    assertThat(
            decide(
                "org.quartz.core.ErrorLogger",
                Level.ERROR,
                "An error occurred",
                null,
                new RuntimeException(outage)))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "com.zaxxer.hikari.pool.ProxyConnection",
                Level.WARN,
                "{} - Connection {} marked as broken because of SQLSTATE({})",
                new Object[] {"p", "c", "08006", outage},
                null))
        .as("the exception as the last argument")
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "com.zaxxer.hikari.pool.PoolBase",
                Level.WARN,
                "{} - Failed to validate connection {} ({}). Possibly consider using a shorter maxLifetime value.",
                new Object[] {"p", "c", "closed"},
                null))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "redis.clients.jedis.ConnectionFactory",
                Level.WARN,
                "Error while validating pooled Connection object.",
                null,
                new JedisConnectionException("Unexpected end of stream.")))
        .isEqualTo(FilterReply.DENY);
  }

  @Test
  void otherEventsPass() {
    assertThat(
            decide(
                "org.quartz.core.JobRunShell",
                Level.ERROR,
                "Job threw",
                null,
                new IllegalStateException("bug")))
        .as("a library error that is no outage")
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "org.quartz.impl.jdbcjobstore.JobStoreTX",
                Level.INFO,
                "ClusterManager: detected 1 failed",
                null,
                null))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "dev.conveyor.processor.StepChains",
                Level.WARN,
                "tick failed",
                null,
                new SQLException("x", "08006")))
        .as("our own events are ours to word")
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "org.quartz.core.ErrorLogger",
                Level.DEBUG,
                "x",
                null,
                new SQLException("x", "08006")))
        .isEqualTo(FilterReply.NEUTRAL);
  }
}
