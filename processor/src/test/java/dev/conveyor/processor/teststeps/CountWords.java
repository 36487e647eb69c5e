package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;

/** Test step: a part's text → {"words": n}; text "boom" fails. */
public final class CountWords implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return batch.stream()
        .map(in -> {
          String text = in.input().path("text").asText();
          if (text.equals("boom")) {
            return StepResult.failed("cannot count boom");
          }
          return StepResult.ok(
              JsonNodeFactory.instance
                  .objectNode()
                  .put("words", text.isBlank() ? 0 : text.strip().split("\\s+").length));
        })
        .toList();
  }
}
