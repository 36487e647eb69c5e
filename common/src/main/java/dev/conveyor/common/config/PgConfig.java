package dev.conveyor.common.config;

import java.util.Optional;

/**
 * The PostgreSQL that holds results, audit, rejected messages, dead items and Quartz's tables.
 *
 * @param poolSize connections in this daemon's HikariCP pool
 */
public record PgConfig(String url, String user, Optional<Secret> password, int poolSize) {

  public PgConfig {
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          "CONVEYOR_PG_URL must start with jdbc:postgresql://, was '" + url + "'");
    }
    if (poolSize < 1) {
      throw new ConfigException("CONVEYOR_PG_POOL_SIZE must be >= 1, was " + poolSize);
    }
  }

  static PgConfig from(Env env) {
    return new PgConfig(
        env.string("CONVEYOR_PG_URL", "jdbc:postgresql://localhost:5432/conveyor"),
        env.string("CONVEYOR_PG_USER", "conveyor"),
        env.secret("CONVEYOR_PG_PASSWORD"),
        env.integer("CONVEYOR_PG_POOL_SIZE", 8, 1, 200));
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
        + "]";
  }
}
