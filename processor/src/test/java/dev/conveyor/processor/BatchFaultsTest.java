package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.conveyor.common.db.DatabaseException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;

class BatchFaultsTest {

  @Test
  void unreachableOrRefusingServicesAreOutages() {
    assertThat(BatchFaults.notTheItems(new JedisConnectionException("connection reset"))).isTrue();
    assertThat(BatchFaults.notTheItems(new JedisDataException("OOM command not allowed"))).isTrue();
    assertThat(BatchFaults.notTheItems(new JedisDataException("LOADING Redis is loading")))
        .isTrue();
    assertThat(BatchFaults.notTheItems(new JedisMovedDataException("MOVED 1 h:1", null, 1)))
        .isTrue();
    assertThat(BatchFaults.notTheItems(db("08006"))).isTrue();
    assertThat(BatchFaults.notTheItems(db(null))).isTrue();
    assertThat(BatchFaults.notTheItems(db("42P01"))).as("a table dropped").isTrue();
    assertThat(BatchFaults.notTheItems(db("42501"))).as("a privilege revoked").isTrue();
    assertThat(BatchFaults.notTheItems(new IllegalStateException("x", new InterruptedException())))
        .isTrue();
  }

  @Test
  void aPipelineReplyLostWithItsClusterNodeIsNoItemsFault() {
    // why: a killed master left replies unset; read directly, they fail with this, and the batch
    // was once bisected down to single items and quarantined as dead items
    Response<String> unset = new Response<>(BuilderFactory.STRING);
    IllegalStateException noReply = catchThrowableOfType(IllegalStateException.class, unset::get);
    assertThat(BatchFaults.notTheItems(noReply)).isTrue();
    assertThat(BatchFaults.notTheItems(new IllegalStateException("a step's own failure")))
        .isFalse();
  }

  @Test
  void errorsAboutOneItemsDataAreNot() {
    assertThat(BatchFaults.notTheItems(new JedisDataException("WRONGTYPE Operation against a key")))
        .isFalse();
    assertThat(BatchFaults.notTheItems(new JedisDataException("ERR Error running script")))
        .isFalse();
    assertThat(BatchFaults.notTheItems(db("22P05"))).isFalse();
    assertThat(BatchFaults.notTheItems(new NumberFormatException("For input string: x"))).isFalse();
  }

  private static DatabaseException db(String state) {
    return new DatabaseException("failed", new SQLException("failed", state));
  }
}
