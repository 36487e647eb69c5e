package dev.conveyor.runtime.ledger;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** What Redis holds about a task in flight (its meta hash). */
public record TaskMeta(
    String taskId,
    String pipeline,
    int version,
    int parts,
    String streamId,
    Instant receivedAt,
    Optional<Instant> finishedAt) {

  static Optional<TaskMeta> from(String taskId, Map<String, String> h) {
    if (h == null || !h.containsKey(TaskFields.PIPELINE)) {
      return Optional.empty();
    }
    return Optional.of(
        new TaskMeta(
            taskId,
            h.get(TaskFields.PIPELINE),
            Integer.parseInt(h.getOrDefault(TaskFields.VERSION, "0")),
            Integer.parseInt(h.getOrDefault(TaskFields.PARTS, "0")),
            h.get(TaskFields.STREAM_ID),
            Instant.ofEpochMilli(Long.parseLong(h.getOrDefault(TaskFields.RECEIVED_AT, "0"))),
            Optional.ofNullable(h.get(TaskFields.FINISHED_AT))
                .map(v -> Instant.ofEpochMilli(Long.parseLong(v)))));
  }
}
