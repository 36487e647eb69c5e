package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import java.util.Locale;

/** Test step: {"text": t} → {"text": T}; input text "boom" always fails, "slow" takes 2 s. */
public final class Upper implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) throws InterruptedException {
    var out = new java.util.ArrayList<StepResult>();
    for (StepInput in : batch) {
      String text = in.input().path("text").asText();
      if (text.equals("boom")) {
        out.add(StepResult.failed("boom is not a word"));
        continue;
      }
      if (text.equals("slow")) {
        Thread.sleep(2_000);
      }
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("text", text.toUpperCase(Locale.ROOT));
      out.add(StepResult.ok(o));
    }
    return out;
  }
}
