package dev.conveyor.common.test;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.SslOptions;

/**
 * Finds a real Redis and a real PostgreSQL for tests, in this order: the environment ({@code
 * CONVEYOR_TEST_REDIS_URL}, {@code CONVEYOR_TEST_PG_URL}), the local services (localhost:6379,
 * localhost:5432), Testcontainers when a Docker engine is present. When none answers, tests fail
 * with a message saying how to provide them: they never skip.
 *
 * @param redisUrl {@code redis://host:port}
 * @param pgAdminUrl a JDBC URL of a database on the server where test databases may be created,
 *     with credentials as URL parameters
 */
public record ServiceEndpoints(String redisUrl, String pgAdminUrl, String origin, Runnable stopper)
    implements AutoCloseable {

  static final String REDIS_ENV = "CONVEYOR_TEST_REDIS_URL";
  static final String PG_ENV = "CONVEYOR_TEST_PG_URL";
  private static final String LOCAL_REDIS = "redis://127.0.0.1:6379";
  private static final String LOCAL_PG = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

  /** Resolves both services, or throws with instructions. */
  static ServiceEndpoints resolve(Map<String, String> env) {
    return resolve(env, ServiceEndpoints::dockerAvailable);
  }

  static ServiceEndpoints resolve(Map<String, String> env, BooleanSupplier docker) {
    String redis = env.get(REDIS_ENV);
    String pg = env.get(PG_ENV);
    List<String> tried = new ArrayList<>();
    if (redis != null && !redis.isBlank() && pg != null && !pg.isBlank()) {
      requireRedis(redis, REDIS_ENV);
      requirePg(pg, PG_ENV);
      return new ServiceEndpoints(redis, pg, "environment", () -> {});
    }
    String localRedis = redis != null && !redis.isBlank() ? redis : LOCAL_REDIS;
    String localPg = pg != null && !pg.isBlank() ? pg : LOCAL_PG;
    String redisProblem = redisProblem(localRedis);
    String pgProblem = pgProblem(localPg);
    if (redisProblem == null && pgProblem == null) {
      return new ServiceEndpoints(localRedis, localPg, "local services", () -> {});
    }
    tried.add("Redis " + localRedis + ": " + (redisProblem == null ? "ok" : redisProblem));
    tried.add("PostgreSQL " + localPg + ": " + (pgProblem == null ? "ok" : pgProblem));
    if (docker.getAsBoolean()) {
      return startContainers();
    }
    tried.add("Testcontainers: no Docker engine");
    throw new IllegalStateException(
        "Conveyor's tests need a real Redis and a real PostgreSQL, and none was found.\n"
            + "Tried:\n  "
            + String.join("\n  ", tried)
            + "\nProvide them in one of these ways:\n"
            + "  - start Redis on localhost:6379 and PostgreSQL on localhost:5432 (user postgres, trust"
            + " or password in the URL);\n"
            + "  - or set "
            + REDIS_ENV
            + "=redis://host:port and "
            + PG_ENV
            + "=jdbc:postgresql://host:5432/postgres?user=...&password=... (a role that may CREATE"
            + " DATABASE);\n"
            + "  - or run a Docker engine, and Testcontainers starts both.");
  }

  private static void requireRedis(String url, String source) {
    String problem = redisProblem(url);
    if (problem != null) {
      throw new IllegalStateException(source + "=" + url + " does not answer: " + problem);
    }
  }

  private static void requirePg(String url, String source) {
    String problem = pgProblem(url);
    if (problem != null) {
      throw new IllegalStateException(source + "=" + url + " does not answer: " + problem);
    }
  }

  /** null when Redis at {@code url} answers PING. */
  static String redisProblem(String url) {
    URI uri = URI.create(url);
    DefaultJedisClientConfig.Builder cfg =
        DefaultJedisClientConfig.builder().connectionTimeoutMillis(1000).socketTimeoutMillis(2000);
    if ("rediss".equals(uri.getScheme())) {
      cfg.sslOptions(SslOptions.defaults());
    }
    if (uri.getUserInfo() != null && uri.getUserInfo().contains(":")) {
      cfg.password(uri.getUserInfo().substring(uri.getUserInfo().indexOf(':') + 1));
    }
    try (Jedis jedis =
        new Jedis(
            new HostAndPort(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()),
            cfg.build())) {
      return "PONG".equals(jedis.ping()) ? null : "no PONG";
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  /** null when PostgreSQL at {@code url} accepts a connection. */
  static String pgProblem(String url) {
    Properties props = new Properties();
    props.setProperty("connectTimeout", "2");
    props.setProperty("loginTimeout", "3");
    try (Connection c = DriverManager.getConnection(url, props)) {
      return c.isValid(2) ? null : "connection not valid";
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // why: closed by the returned endpoints' close()
  private static ServiceEndpoints startContainers() {
    GenericContainer<?> redis =
        new GenericContainer<>("redis:7-alpine")
            .withExposedPorts(6379)
            .withStartupTimeout(Duration.ofMinutes(2));
    PostgreSQLContainer pg = new PostgreSQLContainer("postgres:16-alpine");
    redis.start();
    pg.start();
    String redisUrl = "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
    String pgUrl =
        pg.getJdbcUrl()
            + (pg.getJdbcUrl().contains("?") ? "&" : "?")
            + "user="
            + pg.getUsername()
            + "&password="
            + pg.getPassword();
    return new ServiceEndpoints(
        redisUrl,
        pgUrl,
        "Testcontainers",
        () -> {
          pg.stop();
          redis.stop();
        });
  }

  @Override
  public void close() {
    stopper.run();
  }
}
