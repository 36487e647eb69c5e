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
    if (h == null || !h.containsKey("pipeline")) {
      return Optional.empty();
    }
    return Optional.of(
        new TaskMeta(
            taskId,
            h.get("pipeline"),
            Integer.parseInt(h.getOrDefault("version", "0")),
            Integer.parseInt(h.getOrDefault("parts", "0")),
            h.get("stream_id"),
            Instant.ofEpochMilli(Long.parseLong(h.getOrDefault("received_at", "0"))),
            Optional.ofNullable(h.get("finished_at"))
                .map(v -> Instant.ofEpochMilli(Long.parseLong(v)))));
  }
}
