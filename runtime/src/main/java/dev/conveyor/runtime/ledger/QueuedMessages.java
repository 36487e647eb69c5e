package dev.conveyor.runtime.ledger;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.resps.StreamGroupInfo;
import redis.clients.jedis.resps.StreamPendingSummary;

/**
 * Messages still in the inbox, not yet registered as tasks (read only; {@code GET /tasks/<id>}).
 * The inbox has no index by task id, so this reads the entries the dispatchers have not handled:
 * from the oldest entry pending in their group (read, not yet acknowledged) or, with none pending,
 * from the group's last delivered entry, at most {@code limit} entries, inside Redis (a Lua script
 * per page of 200 entries: no payload crosses the network, and Redis is held for one page at a
 * time). Its cost is that of reading up to {@code limit} entries in Redis; a message further back
 * in a longer backlog is not found ({@link Lookup#complete()} is false).
 */
public final class QueuedMessages {
  private static final LuaScript FIND = LuaScript.load("find_queued");
  // why: one script call reads one page, so Redis is held for one page at a time (about a
  // millisecond for small entries), not for the whole search
  private static final int PAGE = 200;

  private final UnifiedJedis inbox;
  private final Keys keys;
  private final int limit;

  /**
   * @param inbox the inbox's Redis ({@code CONVEYOR_INBOX_URL}, else the runtime one)
   * @param limit the most inbox entries one lookup reads
   */
  public QueuedMessages(UnifiedJedis inbox, Keys keys, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, was " + limit);
    }
    this.inbox = inbox;
    this.keys = keys;
    this.limit = limit;
  }

  /**
   * A message in the inbox.
   *
   * @param pending a dispatcher has read it and is handling it (or died doing so)
   */
  public record Queued(String streamId, String pipeline, Instant receivedAt, boolean pending) {}

  /** The outcome of a lookup: the message if found, and whether every unhandled entry was read. */
  public record Lookup(Optional<Queued> found, long read, boolean complete) {}

  /** Looks for the message whose task id is {@code taskId} among the unhandled inbox entries. */
  public Lookup find(String taskId) {
    String key = keys.inbox();
    if (!inbox.exists(key)) {
      return new Lookup(Optional.empty(), 0, true);
    }
    Optional<StreamGroupInfo> group =
        inbox.xinfoGroups(key).stream()
            .filter(g -> g.getName().equals(Keys.DISPATCHER_GROUP))
            .findFirst();
    StreamEntryID delivered = group.map(StreamGroupInfo::getLastDeliveredId).orElse(null);
    String start = "-";
    boolean exclusive = false;
    if (group.isPresent()) {
      StreamPendingSummary pending = inbox.xpending(key, Keys.DISPATCHER_GROUP);
      if (pending.getTotal() > 0) {
        start = pending.getMinId().toString();
      } else {
        start = delivered.toString();
        exclusive = true;
      }
    }
    long read = 0;
    while (read < limit) {
      int page = (int) Math.min(PAGE, limit - read);
      List<?> reply =
          (List<?>)
              FIND.run(
                  inbox,
                  List.of(key),
                  List.of(taskId, start, exclusive ? "1" : "0", Integer.toString(page)));
      String streamId = text(reply.get(0));
      int n = Integer.parseInt(text(reply.get(1)));
      read += n;
      if (!streamId.isEmpty()) {
        StreamEntryID id = new StreamEntryID(streamId);
        boolean wasDelivered = delivered != null && id.compareTo(delivered) <= 0;
        // why: behind the oldest pending entry, others may be acknowledged already (handled by
        // another dispatcher: a task, or a rejected row); such a match is no queued message
        if (!wasDelivered || pending(key, id)) {
          return new Lookup(
              Optional.of(
                  new Queued(
                      streamId,
                      text(reply.get(3)),
                      Instant.ofEpochMilli(id.getTime()),
                      wasDelivered)),
              read,
              true);
        }
        start = streamId;
        exclusive = true;
        continue;
      }
      if (n < page) {
        return new Lookup(Optional.empty(), read, true);
      }
      start = text(reply.get(2));
      exclusive = true;
    }
    return new Lookup(Optional.empty(), read, false);
  }

  private boolean pending(String key, StreamEntryID id) {
    return !inbox
        .xpending(key, Keys.DISPATCHER_GROUP, XPendingParams.xPendingParams(id, id, 1))
        .isEmpty();
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, UTF_8) : String.valueOf(o);
  }
}
