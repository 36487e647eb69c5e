package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import java.util.Locale;

/** Test step: {"text": t} → {"text": lower(t)}. */
public final class Lower implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return batch.stream()
        .map(in ->
            StepResult.ok(
                JsonNodeFactory.instance
                    .objectNode()
                    .put("text", in.input().path("text").asText().toLowerCase(Locale.ROOT))))
        .toList();
  }
}
