package dev.conveyor.common.redis;

import java.util.List;
import redis.clients.jedis.StreamEntryID;

/**
 * A consumer group on a stream at one moment.
 *
 * @param length entries in the stream
 * @param lag entries not yet delivered to the group, as Redis counts them: for display only — after
 *     entries were deleted from the middle of the stream (XDEL, XTRIM) Redis cannot tell ({@link
 *     #UNKNOWN_LAG}), and once the group has read past a deleted entry it counts that entry as
 *     still waiting; {@link #allDelivered} is exact
 * @param pending entries delivered and not yet acknowledged
 * @param lastDelivered the id of the last entry delivered to the group ({@code 0-0}: none)
 * @param lastEntry the id of the stream's last entry ({@code 0-0}: the stream is empty)
 */
public record GroupState(
    String stream,
    String group,
    long length,
    long lag,
    long pending,
    List<Consumer> consumers,
    String lastDelivered,
    String lastEntry) {

  /** What Redis answers as lag (nil) when it cannot count the entries not yet delivered. */
  public static final long UNKNOWN_LAG = -1;

  public GroupState {
    consumers = List.copyOf(consumers);
  }

  /**
   * Whether every entry of the stream was delivered to the group: none waits to be read. The one
   * rule for this, exact whatever Redis says of the lag: a group reads entries in id order, so an
   * entry waits exactly when the stream's last entry comes after the last one delivered.
   */
  public boolean allDelivered() {
    return new StreamEntryID(lastEntry).compareTo(new StreamEntryID(lastDelivered)) <= 0;
  }

  /** Nothing waits and nothing is pending: the group has handled the whole stream. */
  public boolean drained() {
    return allDelivered() && pending == 0;
  }

  /**
   * One consumer of the group.
   *
   * @param idleMs time since its last attempted interaction
   */
  public record Consumer(String name, long pending, long idleMs) {}
}
