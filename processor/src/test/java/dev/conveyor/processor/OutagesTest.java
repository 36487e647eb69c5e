package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.db.DatabaseException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;

class OutagesTest {

  @Test
  void unreachableOrRefusingServicesAreOutages() {
    assertThat(Outages.isOutage(new JedisConnectionException("connection reset"))).isTrue();
    assertThat(Outages.isOutage(new JedisDataException("OOM command not allowed"))).isTrue();
    assertThat(Outages.isOutage(new JedisDataException("LOADING Redis is loading"))).isTrue();
    assertThat(Outages.isOutage(new JedisMovedDataException("MOVED 1 h:1", null, 1))).isTrue();
    assertThat(Outages.isOutage(db("08006"))).isTrue();
    assertThat(Outages.isOutage(db(null))).isTrue();
    assertThat(Outages.isOutage(db("42P01"))).as("a table dropped").isTrue();
    assertThat(Outages.isOutage(db("42501"))).as("a privilege revoked").isTrue();
    assertThat(Outages.isOutage(new IllegalStateException("x", new InterruptedException())))
        .isTrue();
  }

  @Test
  void errorsAboutOneItemsDataAreNot() {
    assertThat(Outages.isOutage(new JedisDataException("WRONGTYPE Operation against a key")))
        .isFalse();
    assertThat(Outages.isOutage(new JedisDataException("ERR Error running script"))).isFalse();
    assertThat(Outages.isOutage(db("22P05"))).isFalse();
    assertThat(Outages.isOutage(new NumberFormatException("For input string: x"))).isFalse();
  }

  private static DatabaseException db(String state) {
    return new DatabaseException("failed", new SQLException("failed", state));
  }
}
