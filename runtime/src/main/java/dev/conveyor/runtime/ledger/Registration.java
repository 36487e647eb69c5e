package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import java.time.Instant;
import java.util.List;

/**
 * A task as the dispatcher registers it.
 *
 * @param streamId the inbox entry it came from
 * @param partInputs each part's input (JSON), in part order
 */
public record Registration(
    String taskId,
    Pipeline pipeline,
    String streamId,
    Instant receivedAt,
    List<String> partInputs) {
  public Registration {
    partInputs = List.copyOf(partInputs);
  }
}
