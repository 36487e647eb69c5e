package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * A run's own Redis and PostgreSQL (so that a fault may kill them), and what the run asks of them:
 * counts, the keys of its namespace, its audit rows.
 */
final class RunServices implements AutoCloseable {
  static final String NAMESPACE = "conveyor";

  private final RedisServer redis;
  private final PostgresServer pg;

  RunServices(Path tmp, Path logs) {
    this.redis = new RedisServer(tmp.resolve("redis"), logs.resolve("redis.log"));
    this.pg = new PostgresServer(tmp.resolve("pg"), tmp.resolve("pg.log"));
  }

  RedisServer redis() {
    return redis;
  }

  PostgresServer pg() {
    return pg;
  }

  void start() throws IOException, InterruptedException {
    redis.start();
    pg.start();
  }

  /** The one number {@code query} answers. */
  long count(String query) throws SQLException {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Every key of the namespace (SCAN, not KEYS). */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    try (RedisClient j = redis.client()) {
      String cursor = ScanParams.SCAN_POINTER_START;
      ScanParams params = new ScanParams().match(NAMESPACE + ":*").count(1000);
      do {
        ScanResult<String> page = j.scan(cursor, params);
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return keys;
  }

  /** Exactly one {@code delivered} audit row for each of {@code ids}, none else; no dead item. */
  void assertOneDeliveredAuditRowEach(List<String> ids) throws SQLException {
    Set<String> audited = new HashSet<>();
    Map<String, Long> outcomes = new HashMap<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT task_id, outcome FROM conveyor.task_audit")) {
      while (rs.next()) {
        audited.add(rs.getString(1));
        outcomes.merge(rs.getString(2), 1L, Long::sum);
      }
    }
    assertThat(audited).as("one audit row per message").containsExactlyInAnyOrderElementsOf(ids);
    assertThat(outcomes).isEqualTo(Map.of("delivered", (long) ids.size()));
    assertThat(count("SELECT count(*) FROM conveyor.dead_items")).as("dead items").isZero();
  }

  /** The delivered rows, in the embedded run's order. */
  List<Map<String, Object>> rows() throws SQLException {
    try (Connection c = pg.connect()) {
      return NerCorpus.rows(c);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      redis.close();
    } finally {
      pg.close();
    }
  }
}
