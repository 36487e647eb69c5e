package dev.conveyor.patrol;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Every statement on {@code conveyor.patrol_lease}: the one row that says which patrol runs the
 * rounds, until when, and its fencing token. Times are PostgreSQL's ({@code clock_timestamp()}), so
 * the patrols' own clocks never matter.
 */
public final class PatrolLeaseRepository {
  /**
   * Same instance: renewed (same token). Expired, given back, or held by an earlier run of the same
   * node (it was restarted: killed, its transactions gone with its connections): taken, token + 1.
   */
  private static final String TAKE =
      """
      UPDATE conveyor.patrol_lease
      SET token = CASE WHEN instance = ? THEN token ELSE token + 1 END,
          holder = ?, instance = ?,
          expires_at = clock_timestamp() + make_interval(secs => ?)
      WHERE instance = ? OR holder = ? OR expires_at <= clock_timestamp()
      RETURNING token
      """;

  private static final String RENEW =
      """
      UPDATE conveyor.patrol_lease SET expires_at = clock_timestamp() + make_interval(secs => ?)
      WHERE instance = ? AND token = ?
      RETURNING token
      """;
  private static final String RELEASE =
      """
      UPDATE conveyor.patrol_lease SET holder = '', instance = '', expires_at = '-infinity'
      WHERE instance = ?
      """;
  private static final String HOLDER =
      """
      SELECT holder, token, expires_at, expires_at > clock_timestamp() FROM conveyor.patrol_lease
      """;
  private static final String LOCK =
      """
      SELECT 1 FROM conveyor.patrol_lease
      WHERE instance = ? AND token = ? AND expires_at > clock_timestamp()
      FOR SHARE
      """;

  /**
   * How long taking or renewing waits for the units of work in progress (they hold the row) before
   * it gives up for this time.
   */
  static final Duration LOCK_WAIT = Duration.ofSeconds(2);

  private final DataSource dataSource;

  public PatrolLeaseRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The lease as it stands. */
  public record Holder(String node, long token, Instant expiresAt, boolean live) {}

  /** What an attempt to take or renew the lease found. */
  public enum Attempt {
    /** This instance holds the lease (taken now, or renewed). */
    HELD,
    /** Another patrol holds it (or this one lost it). */
    OTHER,
    /** The row was busy with a unit of work longer than {@link #LOCK_WAIT}: nothing changed. */
    BUSY
  }

  /**
   * The outcome of an attempt and the token when {@link Attempt#HELD}.
   *
   * @param token the fencing token, or -1
   */
  public record Result(Attempt attempt, long token) {}

  /**
   * Takes the lease when it is free, expired or held by an earlier run of {@code holder}; renews it
   * when {@code instance} holds it. A node id must be unique among the patrols (as everywhere).
   *
   * @param holder the node id, shown to operators
   * @param instance this run of the node (a new one after every start)
   */
  public Result take(String holder, String instance, Duration ttl) {
    return update(
        TAKE,
        ps -> {
          ps.setString(1, instance);
          ps.setString(2, holder);
          ps.setString(3, instance);
          ps.setDouble(4, ttl.toMillis() / 1000.0);
          ps.setString(5, instance);
          ps.setString(6, holder);
        });
  }

  /** Renews the lease only if {@code instance} still holds it with {@code token}. */
  public Result renew(String instance, long token, Duration ttl) {
    return update(
        RENEW,
        ps -> {
          ps.setDouble(1, ttl.toMillis() / 1000.0);
          ps.setString(2, instance);
          ps.setLong(3, token);
        });
  }

  /** Gives the lease back if {@code instance} holds it, so another patrol takes it at once. */
  public void release(String instance) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(RELEASE)) {
      ps.setString(1, instance);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new DatabaseException("patrol_lease release failed: " + e.getMessage(), e);
    }
  }

  /** Who holds (or last held) the lease; empty when no patrol ever took it. */
  public Optional<Holder> holder() {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(HOLDER);
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next() || rs.getString(1).isEmpty()) {
        return Optional.empty();
      }
      Timestamp expires = rs.getTimestamp(3);
      return Optional.of(
          new Holder(rs.getString(1), rs.getLong(2), expires.toInstant(), rs.getBoolean(4)));
    } catch (SQLException e) {
      throw new DatabaseException("patrol_lease read failed: " + e.getMessage(), e);
    }
  }

  /**
   * In a transaction on {@code c}: locks the lease row for the rest of the transaction (a takeover
   * waits for it) if {@code instance} holds the lease with {@code token} and it has not expired.
   * False when it does not: the caller must write nothing.
   */
  boolean lock(Connection c, String instance, long token) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK)) {
      ps.setString(1, instance);
      ps.setLong(2, token);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private Result update(String sql, Binder binder) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT.toMillis() + "ms'");
        }
        OptionalLong token = OptionalLong.empty();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          binder.bind(ps);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              token = OptionalLong.of(rs.getLong(1));
            }
          }
        }
        c.commit();
        return token.isPresent()
            ? new Result(Attempt.HELD, token.getAsLong())
            : new Result(Attempt.OTHER, -1);
      } catch (SQLException e) {
        c.rollback();
        if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
          return new Result(Attempt.BUSY, -1);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new DatabaseException("patrol_lease update failed: " + e.getMessage(), e);
    }
  }

  private static final String LOCK_NOT_AVAILABLE = "55P03";
}
