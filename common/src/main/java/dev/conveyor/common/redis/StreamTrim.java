package dev.conveyor.common.redis;

import java.util.List;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XTrimParams;
import redis.clients.jedis.resps.StreamGroupInfo;
import redis.clients.jedis.resps.StreamPendingSummary;

/** Trims a group's stream of what every group of it is done with: patrol's stream trimming. */
public final class StreamTrim {
  private final StreamGroup group;

  public StreamTrim(StreamGroup group) {
    this.group = group;
  }

  /**
   * Deletes the entries every consumer group of the stream is done with (XTRIM MINID), so a stream
   * holds only what is still to be handled: for each group, entries before its oldest pending entry
   * or, when nothing is pending on it, up to its last delivered entry; the stream is trimmed to the
   * earliest of these points over all its groups. Entries never delivered to a group, and those
   * pending, always stay. A stream that does not exist, or that this group is not a group of, is
   * left alone. Returns how many entries were deleted.
   *
   * <p>The points are read one by one, but each only moves forward (acknowledging, delivering), so
   * a point read a moment ago is never past the true one. An operator who moves a group back
   * (XGROUP SETID) or adds a group at an old id should stop the trimming first.
   */
  public long acknowledged() {
    List<StreamGroupInfo> groups;
    try {
      groups = group.jedis().xinfoGroups(group.stream());
    } catch (JedisDataException e) {
      // why: no such stream
      return 0;
    }
    if (groups.stream().noneMatch(g -> group.group().equals(g.getName()))) {
      return 0;
    }
    StreamEntryID safe = null;
    for (StreamGroupInfo g : groups) {
      StreamEntryID point = doneBefore(g);
      if (safe == null || point.compareTo(safe) < 0) {
        safe = point;
      }
    }
    return group.jedis().xtrim(group.stream(), XTrimParams.xTrimParams().minId(safe.toString()));
  }

  /** The first entry id the group {@code g} may still need: every entry before it is done. */
  private StreamEntryID doneBefore(StreamGroupInfo g) {
    if (g.getPending() > 0) {
      StreamPendingSummary summary = group.jedis().xpending(group.stream(), g.getName());
      if (summary.getTotal() > 0 && summary.getMinId() != null) {
        return summary.getMinId();
      }
    }
    return following(g.getLastDeliveredId());
  }

  /** The smallest id after {@code id} (sequence numbers are unsigned 64-bit). */
  static StreamEntryID following(StreamEntryID id) {
    return id.getSequence() == -1L
        ? new StreamEntryID(id.getTime() + 1, 0)
        : new StreamEntryID(id.getTime(), id.getSequence() + 1);
  }
}
