package dev.conveyor.runtime.step;

import com.fasterxml.jackson.databind.JsonNode;

/** What a step made of one item. */
public sealed interface StepResult {

  static StepResult ok(JsonNode output) {
    return new Ok(output);
  }

  static StepResult failed(String error) {
    return new Failed(error);
  }

  /** The item's output: it is stored and becomes the input of the next steps. */
  record Ok(JsonNode output) implements StepResult {}

  /** The item failed; it is retried as the step's {@code retry} says, then becomes a dead item. */
  record Failed(String error) implements StepResult {}
}
