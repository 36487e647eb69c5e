package dev.conveyor.patrol;

/**
 * The backlog of one shard of one step at one moment.
 *
 * @param waiting entries not yet delivered to the step (the consumer group's lag)
 * @param pending entries delivered and not yet acknowledged (in a tick, failed, or orphaned)
 */
public record StepBacklog(String pipeline, String step, int shard, long waiting, long pending) {
  public long total() {
    return waiting + pending;
  }
}
