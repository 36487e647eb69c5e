package dev.conveyor.common.outage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.conveyor.common.db.DatabaseException;
import dev.conveyor.common.redis.ReplicationBarrier.ReplicationShortException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;

class OutagesTest {
  @Test
  void redisAwayIsARedisOutage() {
    assertThat(Outages.of(new JedisConnectionException("Unexpected end of stream.")))
        .contains(Service.Kind.REDIS);
    assertThat(
            Outages.of(new JedisConnectionException(new SocketTimeoutException("Read timed out"))))
        .contains(Service.Kind.REDIS);
    assertThat(
            Outages.of(
                new JedisException(
                    "Could not get a resource from the pool",
                    new JedisConnectionException("Failed to connect to any host"))))
        .contains(Service.Kind.REDIS);
    assertThat(Outages.of(new JedisClusterOperationException("No reachable node in cluster.")))
        .contains(Service.Kind.REDIS);
    assertThat(Outages.of(new JedisMovedDataException("MOVED 12 127.0.0.1:7001", null, 12)))
        .contains(Service.Kind.REDIS);
    for (String reply :
        new String[] {
          "LOADING Redis is loading the dataset in memory",
          "CLUSTERDOWN The cluster is down",
          "MASTERDOWN Link with MASTER is down",
          "TRYAGAIN Multiple keys request during rehashing of slot",
          "READONLY You can't write against a read only replica.",
          "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
        }) {
      assertThat(Outages.of(new JedisDataException(reply))).as(reply).contains(Service.Kind.REDIS);
    }
    assertThat(Outages.of(new ReplicationShortException("the writes reached 0 of the 1")))
        .contains(Service.Kind.REDIS);
  }

  @Test
  void aClusterPipelineWhoseNodeWentAwayIsARedisOutage() {
    // the reply of a command whose node's connection broke is never set: its get() throws
    Response<String> unset = new Response<>(BuilderFactory.STRING);
    IllegalStateException noReply = catchThrowableOfType(IllegalStateException.class, unset::get);
    assertThat(Outages.of(noReply)).contains(Service.Kind.REDIS);
    assertThat(Outages.of(new RuntimeException("tick failed", noReply)))
        .contains(Service.Kind.REDIS);
    // the client's own NullPointerException when the node's connection is gone, as thrown there
    NullPointerException goneNode =
        new NullPointerException(
            "Cannot invoke \"redis.clients.jedis.Connection.getMany(int)\" because \"connection\""
                + " is null");
    goneNode.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "redis.clients.jedis.MultiNodePipelineBase",
              "lambda$sync$1",
              "MultiNodePipelineBase.java",
              175)
        });
    assertThat(Outages.of(goneNode)).contains(Service.Kind.REDIS);
  }

  @Test
  void postgresAwayIsAPostgresOutageHoweverWrapped() {
    for (String state :
        new String[] {"08001", "08006", "08003", "57P01", "57P02", "57P03", "53300", "53100"}) {
      assertThat(Outages.of(new SQLException("x", state)))
          .as(state)
          .contains(Service.Kind.POSTGRES);
    }
    assertThat(
            Outages.of(new SQLTransientConnectionException("pool - Connection is not available")))
        .contains(Service.Kind.POSTGRES);
    assertThat(Outages.of(new SQLException("Connection is closed")))
        .contains(Service.Kind.POSTGRES);
    assertThat(
            Outages.of(
                new DatabaseException(
                    "task_audit lookup failed", new SQLException("terminating", "57P01"))))
        .contains(Service.Kind.POSTGRES);
    assertThat(
            Outages.of(
                new IllegalStateException(
                    "could not count", new RuntimeException(new SQLException("x", "08006")))))
        .contains(Service.Kind.POSTGRES);
  }

  @Test
  void aFailureOfTheWorkIsNoOutage() {
    assertThat(Outages.of(new JedisDataException("WRONGTYPE Operation against a key"))).isEmpty();
    assertThat(Outages.of(new JedisDataException("OOM command not allowed"))).isEmpty();
    assertThat(Outages.of(new JedisDataException("NOSCRIPT No matching script"))).isEmpty();
    for (String state : new String[] {"23505", "22P02", "57014", "55P03", "40001", "42P01"}) {
      assertThat(Outages.of(new SQLException("x", state))).as(state).isEmpty();
    }
    assertThat(Outages.of(new SQLException("something else"))).isEmpty();
    assertThat(Outages.of(new IllegalArgumentException("bad input"))).isEmpty();
    assertThat(Outages.of(new StackOverflowError())).isEmpty();
    assertThat(Outages.isOutage(new IllegalStateException("x"))).isFalse();
    // the same exception types thrown by our code (or a step) are no outage
    assertThat(Outages.isOutage(new NullPointerException("a step's bug"))).isFalse();
  }

  @Test
  void aCycleOfCausesEnds() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);
    assertThat(Outages.of(a)).isEmpty();
  }
}
