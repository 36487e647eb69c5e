package dev.conveyor.common.test;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.db.Migrations;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What one test class gets: a Redis namespace of its own and a PostgreSQL database of its own with
 * the production migrations applied, so test classes never see each other's data. Made by {@link
 * ConveyorServicesExtension}; dropped after the class.
 */
public final class TestServices implements AutoCloseable {
  private static final Pattern JDBC = Pattern.compile("(jdbc:postgresql://[^/?]+)/([^?]*)(\\?.*)?");

  private final ServiceEndpoints endpoints;
  private final String namespace;
  private final String database;
  private final String pgUrl;
  private final ConveyorConfig config;
  private final HikariDataSource dataSource;
  private final UnifiedJedis jedis;
  private final TestRedisCluster cluster;
  private final Runnable afterClose;

  private TestServices(
      ServiceEndpoints endpoints, String suffix, TestRedisCluster cluster, Runnable afterClose) {
    this.endpoints = endpoints;
    this.cluster = cluster;
    this.afterClose = afterClose;
    this.namespace = "test-" + suffix;
    this.database = "conveyor_test_" + suffix;
    createDatabase(endpoints.pgAdminUrl(), database);
    this.pgUrl = withDatabase(endpoints.pgAdminUrl(), database);
    this.config = ConveyorConfig.from(Env.of(env()));
    this.dataSource = Database.pool(config.pg(), "test-" + suffix, 4);
    Migrations.migrate(config.pg());
    this.jedis = RedisConnector.connect(config.redis(), RedisConnector.Endpoint.RUNTIME, "test", 8);
  }

  static TestServices create(ServiceEndpoints endpoints) {
    return new TestServices(endpoints, suffix(), null, () -> {});
  }

  /**
   * Services whose Redis is {@code cluster}; {@code afterClose} runs when they are closed (stops a
   * cluster of the class's own).
   */
  static TestServices create(
      ServiceEndpoints endpoints, TestRedisCluster cluster, Runnable afterClose) {
    return new TestServices(endpoints, suffix(), cluster, afterClose);
  }

  private static String suffix() {
    byte[] random = new byte[4];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /** The Redis Cluster of a class annotated {@link OnRedisCluster}. */
  public TestRedisCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("this test class is not @OnRedisCluster");
    }
    return cluster;
  }

  /** The namespace all of this class's Redis keys live under. */
  public String namespace() {
    return namespace;
  }

  public Keys keys() {
    return new Keys(namespace);
  }

  /** The Redis URL (on a cluster: one of its nodes). */
  public String redisUrl() {
    return cluster == null ? endpoints.redisUrl() : cluster.url();
  }

  /** A {@code redis://} URL of each Redis that serves keys: the one Redis, or every master. */
  public List<String> redisMasterUrls() {
    if (cluster == null) {
      return List.of(redisUrl());
    }
    return cluster.masters().stream().map(m -> "redis://" + m).toList();
  }

  /** JDBC URL of this class's own database (credentials as URL parameters). */
  public String pgUrl() {
    return pgUrl;
  }

  /** A pool on this class's database, schema {@code conveyor} migrated. */
  public HikariDataSource dataSource() {
    return dataSource;
  }

  /** A client on the test Redis (a cluster client with {@link OnRedisCluster}). */
  public UnifiedJedis jedis() {
    return jedis;
  }

  /** Configuration as a daemon started with {@link #env()} would read it. */
  public ConveyorConfig config() {
    return config;
  }

  /**
   * The CONVEYOR_* environment a daemon needs to use this class's Redis namespace and database
   * (HTTP off; add CONVEYOR_HTTP_PORT to turn it on).
   */
  public Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("CONVEYOR_REDIS_URL", redisUrl());
    if (cluster != null) {
      env.put("CONVEYOR_REDIS_CLUSTER", cluster.seeds());
    }
    env.put("CONVEYOR_PG_URL", pgUrl);
    env.put("CONVEYOR_PG_USER", userOf(pgUrl));
    env.put("CONVEYOR_NAMESPACE", namespace);
    env.put("CONVEYOR_HTTP_PORT", "0");
    return env;
  }

  /** Runs a statement on this class's database; for test setup. */
  public void sql(String statement) {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new IllegalStateException(statement + ": " + e.getMessage(), e);
    }
  }

  /** A single number from a query, e.g. {@code select count(*) from ...}. */
  public long queryLong(String query) {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      if (!rs.next()) {
        throw new IllegalStateException("no row: " + query);
      }
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(query + ": " + e.getMessage(), e);
    }
  }

  /** Every key of this namespace (SCAN; tests only — the daemons never scan the keyspace). */
  public List<String> redisKeys() {
    return redisKeys(namespace);
  }

  /**
   * Every key under {@code ns} (a namespace a test made up, e.g. this class's namespace plus a
   * suffix), on every master of a cluster.
   */
  public List<String> redisKeys(String ns) {
    if (cluster == null) {
      return scan(jedis, ns);
    }
    // why: a cluster client cannot SCAN the keyspace; each master is scanned on its own
    Set<String> keys = new LinkedHashSet<>();
    for (HostAndPort master : cluster.masters()) {
      try (UnifiedJedis node =
          RedisClient.builder().hostAndPort(master.getHost(), master.getPort()).build()) {
        keys.addAll(scan(node, ns));
      }
    }
    return List.copyOf(keys);
  }

  /** Deletes every key under {@code ns}. */
  public void deleteRedisKeys(String ns) {
    for (String key : redisKeys(ns)) {
      jedis.del(key);
    }
  }

  private static List<String> scan(UnifiedJedis client, String ns) {
    List<String> keys = new java.util.ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    ScanParams params = new ScanParams().match(ns + ":*").count(1000);
    do {
      ScanResult<String> page = client.scan(cursor, params);
      keys.addAll(page.getResult());
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return keys;
  }

  @Override
  public void close() {
    try {
      deleteRedisKeys(namespace);
    } finally {
      jedis.close();
      dataSource.close();
      try {
        dropDatabase(endpoints.pgAdminUrl(), database);
      } finally {
        afterClose.run();
      }
    }
  }

  static String withDatabase(String jdbcUrl, String db) {
    Matcher m = JDBC.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a jdbc:postgresql URL: " + jdbcUrl);
    }
    return m.group(1) + "/" + db + (m.group(3) == null ? "" : m.group(3));
  }

  static String userOf(String jdbcUrl) {
    Matcher m = Pattern.compile("[?&]user=([^&]*)").matcher(jdbcUrl);
    return m.find() ? m.group(1) : System.getProperty("user.name");
  }

  private static void createDatabase(String adminUrl, String db) {
    try (Connection c = DriverManager.getConnection(adminUrl);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create test database " + db + ": " + e.getMessage(), e);
    }
  }

  private static void dropDatabase(String adminUrl, String db) {
    try (Connection c = DriverManager.getConnection(adminUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test database " + db + ": " + e.getMessage(), e);
    }
  }
}
