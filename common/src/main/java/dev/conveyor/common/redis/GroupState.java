package dev.conveyor.common.redis;

import java.util.List;

/**
 * A consumer group on a stream at one moment.
 *
 * @param length entries in the stream
 * @param lag entries not yet delivered to the group (-1 when Redis cannot tell)
 * @param pending entries delivered and not yet acknowledged
 */
public record GroupState(
    String stream, String group, long length, long lag, long pending, List<Consumer> consumers) {

  public GroupState {
    consumers = List.copyOf(consumers);
  }

  /**
   * One consumer of the group.
   *
   * @param idleMs time since its last attempted interaction
   */
  public record Consumer(String name, long pending, long idleMs) {}
}
