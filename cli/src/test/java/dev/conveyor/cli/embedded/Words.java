package dev.conveyor.cli.embedded;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;

/** Test step: a part → {"words": n}; a part containing "boom" fails. */
public final class Words implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return batch.stream()
        .map(in -> {
          String text = in.input().path("text").asText();
          return text.contains("boom")
              ? StepResult.failed("no words in boom")
              : StepResult.ok(
                  JsonNodeFactory.instance
                      .objectNode()
                      .put("words", text.strip().split("\\s+").length));
        })
        .toList();
  }
}
