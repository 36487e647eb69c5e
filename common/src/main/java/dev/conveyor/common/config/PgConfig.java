package dev.conveyor.common.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The PostgreSQL that holds results, audit, rejected messages, dead items and Quartz's tables.
 *
 * @param poolSize connections in this daemon's HikariCP pool
 * @param connectTimeout how long opening a connection (TCP connect, then the login) may take
 * @param statementTimeout the server cancels a statement that runs longer ({@code
 *     statement_timeout}); the client gives up on a silent connection a little later ({@link
 *     #socketTimeout()})
 * @param lockTimeout the server fails a statement that waits longer for a lock ({@code
 *     lock_timeout})
 */
public record PgConfig(
    String url,
    String user,
    Optional<Secret> password,
    int poolSize,
    Duration connectTimeout,
    Duration statementTimeout,
    Duration lockTimeout) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);

  /** How much longer than the statement timeout the client waits on a silent connection. */
  static final Duration SOCKET_MARGIN = Duration.ofSeconds(15);

  public PgConfig {
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          "CONVEYOR_PG_URL must start with jdbc:postgresql://, was '" + url + "'");
    }
    if (poolSize < 1) {
      throw new ConfigException("CONVEYOR_PG_POOL_SIZE must be >= 1, was " + poolSize);
    }
    if (connectTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(
          "CONVEYOR_PG_CONNECT_TIMEOUT must be at least 1s, was "
              + Durations.format(connectTimeout));
    }
    if (statementTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(
          "CONVEYOR_PG_STATEMENT_TIMEOUT must be at least 1s, was "
              + Durations.format(statementTimeout));
    }
    if (lockTimeout.compareTo(Duration.ofMillis(100)) < 0
        || lockTimeout.compareTo(statementTimeout) > 0) {
      throw new ConfigException(
          "CONVEYOR_PG_LOCK_TIMEOUT must be between 100ms and CONVEYOR_PG_STATEMENT_TIMEOUT ("
              + Durations.format(statementTimeout)
              + "), was "
              + Durations.format(lockTimeout));
    }
  }

  /** With the default timeouts. */
  public PgConfig(String url, String user, Optional<Secret> password, int poolSize) {
    this(
        url,
        user,
        password,
        poolSize,
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_STATEMENT_TIMEOUT,
        DEFAULT_LOCK_TIMEOUT);
  }

  /**
   * How long the client waits for an answer on a connection before it takes the connection for dead
   * (a half-open one: the server or the path to it gone without a word): the statement timeout plus
   * 15 s, so that a slow statement is cancelled by the server first.
   */
  public Duration socketTimeout() {
    return socketTimeoutFor(statementTimeout);
  }

  /** The socket timeout that goes with a statement timeout. */
  public static Duration socketTimeoutFor(Duration statementTimeout) {
    return statementTimeout.plus(SOCKET_MARGIN);
  }

  /**
   * How long a session may sit idle inside a transaction before the server ends it, releasing its
   * locks: twice the statement timeout. Ends the server's side of a connection whose client is
   * gone.
   */
  public Duration idleInTransactionTimeout() {
    return idleInTransactionTimeoutFor(statementTimeout);
  }

  /** The idle-in-transaction timeout that goes with a statement timeout. */
  public static Duration idleInTransactionTimeoutFor(Duration statementTimeout) {
    return statementTimeout.multipliedBy(2);
  }

  static PgConfig from(Env env) {
    return new PgConfig(
        env.string("CONVEYOR_PG_URL", "jdbc:postgresql://localhost:5432/conveyor"),
        env.string("CONVEYOR_PG_USER", "conveyor"),
        env.secret("CONVEYOR_PG_PASSWORD"),
        env.integer("CONVEYOR_PG_POOL_SIZE", 8, 1, 200),
        env.duration("CONVEYOR_PG_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, Duration.ofSeconds(1)),
        env.duration(
            "CONVEYOR_PG_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT, Duration.ofSeconds(1)),
        env.duration("CONVEYOR_PG_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT, Duration.ofMillis(100)));
  }

  @Override
  public String toString() {
    return "PgConfig[url="
        + Masks.url(url)
        + ", user="
        + user
        + ", password="
        + password
        + ", poolSize="
        + poolSize
        + ", connectTimeout="
        + connectTimeout
        + ", statementTimeout="
        + statementTimeout
        + ", lockTimeout="
        + lockTimeout
        + "]";
  }
}
