package dev.conveyor.runtime.records;

import java.time.Instant;
import java.util.Optional;

/**
 * A finished task's row in {@code conveyor.task_audit}.
 *
 * @param outcome {@code delivered}, {@code partial} or {@code failed}
 */
public record TaskAudit(
    String taskId,
    String pipeline,
    int pipelineVersion,
    Outcome outcome,
    int parts,
    int failedParts,
    long rowsDelivered,
    String streamId,
    Instant receivedAt,
    Instant finishedAt,
    Optional<Instant> cleanedAt) {

  /** How a task ended. */
  public enum Outcome {
    DELIVERED,
    PARTIAL,
    FAILED;

    public String sql() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** delivered when nothing failed, failed when everything did, partial in between. */
    public static Outcome of(int parts, int failedParts) {
      if (failedParts == 0) {
        return DELIVERED;
      }
      return failedParts >= parts ? FAILED : PARTIAL;
    }
  }
}
