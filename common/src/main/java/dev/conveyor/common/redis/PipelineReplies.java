package dev.conveyor.common.redis;

import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The replies of the commands of one pipeline, checked together after {@code sync()}: a write whose
 * reply nobody reads must still fail the caller when it failed.
 *
 * <p>why: on a Redis Cluster a pipeline does not fail as a whole. A command sent to a master that
 * no longer serves its slot (a failover) gets a MOVED reply, and the commands for a node whose
 * connection broke get no reply at all (the client only logs that); both show only when the
 * command's reply is read. Unchecked, a fan-out could be acknowledged upstream while some of its
 * queue entries were never written.
 */
public final class PipelineReplies {
  private final List<Response<?>> replies = new ArrayList<>();

  /** Remembers a command's reply to check later; returns it. */
  public <T> Response<T> add(Response<T> reply) {
    replies.add(reply);
    return reply;
  }

  /**
   * Throws when any command failed (its Redis error, e.g. MOVED) or got no reply; call after {@code
   * sync()}.
   */
  public void check() {
    for (Response<?> r : replies) {
      get(r);
    }
  }

  /** A synced reply; a command that got no reply (its connection broke) is a connection error. */
  public static <T> T get(Response<T> reply) {
    try {
      return reply.get();
    } catch (IllegalStateException e) {
      throw new JedisConnectionException(
          "no reply to a pipelined command: the connection to its Redis node broke", e);
    }
  }
}
