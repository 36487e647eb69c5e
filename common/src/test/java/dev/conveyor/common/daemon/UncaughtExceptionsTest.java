package dev.conveyor.common.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UncaughtExceptionsTest {

  @Test
  void anExceptionThrownInsideTheRedisClientIsTheClientsNotABug() {
    NullPointerException inClient = new NullPointerException("connection is null");
    inClient.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement("redis.clients.jedis.MultiNodePipelineBase", "sync", "x.java", 1),
          new StackTraceElement("java.lang.Thread", "run", "Thread.java", 1)
        });
    IllegalStateException ours = new IllegalStateException("boom");

    assertThat(UncaughtExceptions.fromRedisClient(inClient)).isTrue();
    assertThat(UncaughtExceptions.fromRedisClient(ours)).isFalse();
    assertThat(
            UncaughtExceptions.fromRedisClient(
                new RuntimeException((String) null) {
                  @Override
                  public synchronized Throwable fillInStackTrace() {
                    return this;
                  }
                }))
        .as("no stack trace at all")
        .isFalse();
  }
}
