package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.common.step.Step;
import dev.conveyor.common.step.StepInput;
import dev.conveyor.common.step.StepResult;
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
