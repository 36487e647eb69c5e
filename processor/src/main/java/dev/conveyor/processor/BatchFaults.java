package dev.conveyor.processor;

import dev.conveyor.common.outage.Outages;
import dev.conveyor.runtime.work.command.CommandUnavailableException;
import java.sql.SQLException;
import java.util.List;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Tells a failure of a whole batch that is not its items' fault — an outage of Redis or PostgreSQL
 * ({@link Outages}), a server refusing writes (out of memory, misconfigured, a wrong password), a
 * sink's table that does not fit, a step that cannot run at all, the thread interrupted — from a
 * failure caused by one item's data. Only the former may fail a whole tick; anything else is some
 * item's fault and must stay that item's.
 */
final class BatchFaults {
  /** Redis errors that describe the server's state, not the command's data. */
  private static final List<String> SERVER_STATES =
      List.of(
          "OOM",
          "LOADING",
          "READONLY",
          "MASTERDOWN",
          "BUSY",
          "TRYAGAIN",
          "CLUSTERDOWN",
          "NOREPLICAS",
          "MISCONF",
          "NOAUTH",
          "WRONGPASS",
          "UNBLOCKED");

  private BatchFaults() {}

  static boolean notTheItems(Throwable e) {
    if (Outages.isOutage(e)) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      switch (t) {
        case InterruptedException i -> {
          return true;
        }
        case SinkWork.SinkUnavailableException s -> {
          return true;
        }
        case CommandUnavailableException c -> {
          return true;
        }
        case JedisRedirectionException r -> {
          return true;
        }
        case JedisDataException d -> {
          if (isServerState(d.getMessage())) {
            return true;
          }
        }
        case JedisException j -> {
          // why: connection errors, an exhausted pool, a cluster without a node for the slot
          return true;
        }
        case SQLException s -> {
          if (SinkWork.isOutage(s)) {
            return true;
          }
        }
        default -> {}
      }
    }
    return Thread.currentThread().isInterrupted();
  }

  private static boolean isServerState(String message) {
    if (message == null) {
      return false;
    }
    return SERVER_STATES.stream().anyMatch(message::startsWith);
  }
}
