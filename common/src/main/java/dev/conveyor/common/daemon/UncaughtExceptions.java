package dev.conveyor.common.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a daemon does with an exception no code caught, in any thread: one log line instead of the
 * JVM's stack trace on stderr.
 *
 * <p>why: the Redis client runs a cluster pipeline's per-node reads on threads of its own, and when
 * a node goes away in the middle (a failover) one of them can fail with nothing to catch it; the
 * command's caller fails too and logs and retries, so that is one WARN line. Anything else is a
 * bug: ERROR with the stack trace.
 */
final class UncaughtExceptions implements Thread.UncaughtExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(UncaughtExceptions.class);

  /** Makes this the handler of every thread of the JVM. */
  static void install() {
    Thread.setDefaultUncaughtExceptionHandler(new UncaughtExceptions());
  }

  @Override
  public void uncaughtException(Thread thread, Throwable error) {
    if (fromRedisClient(error)) {
      log.atWarn()
          .addKeyValue("event", "redis_client_error")
          .addKeyValue("thread", thread.getName())
          .addKeyValue("error", String.valueOf(error))
          .log();
    } else {
      log.atError()
          .addKeyValue("event", "thread_failed")
          .addKeyValue("thread", thread.getName())
          .addKeyValue("error", String.valueOf(error))
          .setCause(error)
          .log();
    }
  }

  /** Whether the exception was thrown inside the Redis client's own code. */
  static boolean fromRedisClient(Throwable error) {
    StackTraceElement[] trace = error.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith("redis.clients.");
  }
}
