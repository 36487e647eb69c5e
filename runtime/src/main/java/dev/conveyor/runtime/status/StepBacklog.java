package dev.conveyor.runtime.status;

/**
 * The backlog of one shard of one step at one moment.
 *
 * @param waiting entries not yet delivered to the step (the consumer group's lag)
 * @param pending entries delivered and not yet acknowledged (in a tick, failed, or orphaned)
 * @param retrying items that failed and wait in the shard's retry set for their next attempt
 */
public record StepBacklog(
    String pipeline, String step, int shard, long waiting, long pending, long retrying) {
  public long total() {
    return waiting + pending + retrying;
  }
}
