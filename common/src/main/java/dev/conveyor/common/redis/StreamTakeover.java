package dev.conveyor.common.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * Takes over the entries of a group's consumers that died (their pending entries, idle too long),
 * and removes consumers that hold nothing and left: the dispatchers' claim on the inbox, patrol's
 * reclaim on the step queues.
 */
public final class StreamTakeover {
  private static final LuaScript DELETE_CONSUMER_IF_EMPTY =
      LuaScript.load("delete_consumer_if_empty");

  private final StreamGroup group;

  public StreamTakeover(StreamGroup group) {
    this.group = group;
  }

  /**
   * Takes over, for {@code consumer}, entries pending on any consumer of the group for longer than
   * {@code minIdle} (a consumer that died), at most about {@code max}. They are then in {@code
   * consumer}'s pending list. Redis also drops pending entries that were deleted from the stream
   * (XDEL, XTRIM) as it goes; their ids are returned so that they can be recorded.
   */
  public Claim claimIdle(String consumer, Duration minIdle, int max) {
    int claimed = 0;
    List<String> deleted = new ArrayList<>();
    byte[] cursor = StreamGroup.FROM_START.toString().getBytes(StandardCharsets.UTF_8);
    do {
      List<Object> reply =
          group
              .jedis()
              .xautoclaimJustId(
                  group.stream().getBytes(StandardCharsets.UTF_8),
                  group.group().getBytes(StandardCharsets.UTF_8),
                  consumer.getBytes(StandardCharsets.UTF_8),
                  minIdle.toMillis(),
                  cursor,
                  XAutoClaimParams.xAutoClaimParams()
                      .count(Math.max(1, Math.min(100, max - claimed))));
      cursor = (byte[]) reply.get(0);
      claimed += ((List<?>) reply.get(1)).size();
      if (reply.size() > 2) {
        for (Object id : (List<?>) reply.get(2)) {
          deleted.add(new String((byte[]) id, StandardCharsets.UTF_8));
        }
      }
    } while (claimed < max
        && !StreamGroup.FROM_START.toString().equals(new String(cursor, StandardCharsets.UTF_8)));
    return new Claim(claimed, deleted);
  }

  /**
   * What a takeover did.
   *
   * @param claimed entries now pending on the claiming consumer
   * @param deleted ids of pending entries whose content was deleted from the stream
   */
  public record Claim(int claimed, List<String> deleted) {
    public Claim {
      deleted = List.copyOf(deleted);
    }
  }

  /**
   * Removes consumers that hold no pending entries and have been idle longer than {@code idle}
   * (replicas that left), so the group does not grow with every node id ever seen; returns how
   * many. A consumer with pending entries is never removed: its entries are taken over first.
   */
  public int removeIdleConsumers(Duration idle) {
    return removeIdleConsumers(idle.plusMillis(1), null).size();
  }

  /**
   * Removes consumers that hold no pending entries and have been idle for at least {@code idle},
   * except {@code keep} (may be null); returns the names of the consumers removed. Each is removed
   * only if it still holds nothing at that moment (checked and deleted in one script): XGROUP
   * DELCONSUMER drops a consumer's pending entries, and an entry it read just before would be lost
   * to the group.
   */
  public List<String> removeIdleConsumers(Duration idle, String keep) {
    List<String> removed = new ArrayList<>();
    for (GroupState.Consumer c : group.state().consumers()) {
      if (c.pending() == 0
          && c.idleMs() >= idle.toMillis()
          && !c.name().equals(keep)
          && Long.valueOf(1)
              .equals(
                  DELETE_CONSUMER_IF_EMPTY.run(
                      group.jedis(), List.of(group.stream()), List.of(group.group(), c.name())))) {
        removed.add(c.name());
      }
    }
    return removed;
  }

  /**
   * Takes over, for {@code consumer}, entries pending on any <em>other</em> consumer of the group
   * for longer than {@code minIdle}, at most about {@code max}; its own pending entries are not
   * touched. Unlike {@link #claimIdle} (XAUTOCLAIM, which walks every consumer's entries, resets
   * the idle time of the claimer's own, and drops pending entries whose content was deleted), this
   * lists each other consumer's idle entries (XPENDING IDLE) and claims exactly those (XCLAIM
   * JUSTID, which checks the idle time again, atomically, and does not count a delivery: the
   * claimer's next read of its pending list does; an entry of another consumer whose content was
   * deleted is dropped from the group's pending list by Redis 7). Returns how many were claimed
   * from each consumer, in the group's consumer order; consumers nothing was claimed from are left
   * out.
   */
  public Map<String, Integer> claimIdleFromOthers(String consumer, Duration minIdle, int max) {
    Map<String, Integer> claimed = new LinkedHashMap<>();
    int total = 0;
    for (GroupState.Consumer other : group.state().consumers()) {
      if (other.name().equals(consumer) || other.pending() == 0) {
        continue;
      }
      String from = "-";
      while (total < max) {
        List<StreamPendingEntry> idle =
            group
                .jedis()
                .xpending(
                    group.stream(),
                    group.group(),
                    XPendingParams.xPendingParams(from, "+", Math.min(100, max - total))
                        .idle(minIdle.toMillis())
                        .consumer(other.name()));
        if (idle.isEmpty()) {
          break;
        }
        int n =
            group
                .jedis()
                .xclaimJustId(
                    group.stream(),
                    group.group(),
                    consumer,
                    minIdle.toMillis(),
                    XClaimParams.xClaimParams(),
                    idle.stream().map(StreamPendingEntry::getID).toArray(StreamEntryID[]::new))
                .size();
        if (n > 0) {
          claimed.merge(other.name(), n, Integer::sum);
          total += n;
        }
        // why: exclusive start, so an entry that was not claimed (touched again, or deleted)
        // cannot hold the walk in place
        from = "(" + idle.getLast().getID();
      }
    }
    return claimed;
  }
}
