package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Test step that answers what PostgreSQL cannot store when asked: input text "nul" → a string with
 * U+0000, "surrogate" → a lone surrogate, "nan" → NaN, "huge" → a 1 MiB string; anything else is
 * passed through.
 */
public final class Emit implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> out = new ArrayList<>();
    for (StepInput in : batch) {
      String text = in.input().path("text").asText();
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      switch (text) {
        case "nul" -> o.put("text", "a\u0000b");
        case "surrogate" -> o.put("text", "x\ud800");
        case "nan" -> o.put("text", "n").put("score", Double.NaN);
        case "huge" -> o.put("text", "h".repeat(1 << 20));
        default -> o.set("text", in.input().path("text"));
      }
      out.add(StepResult.ok(o));
    }
    return out;
  }
}
