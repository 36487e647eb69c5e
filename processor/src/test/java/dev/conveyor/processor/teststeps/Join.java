package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;

/** Test step after upper and lower: {"upper": {...}, "lower": {...}} → {"text": "U|l"}. */
public final class Join implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return batch.stream()
        .map(in ->
            StepResult.ok(
                JsonNodeFactory.instance
                    .objectNode()
                    .put(
                        "text",
                        in.input().path("upper").path("text").asText()
                            + "|"
                            + in.input().path("lower").path("text").asText())))
        .toList();
  }
}
