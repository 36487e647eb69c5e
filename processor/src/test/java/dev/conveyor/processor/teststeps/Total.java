package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;

/** Task-scope test step after count: the sum of every part's words, with the dead parts. */
public final class Total implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> out = new ArrayList<>();
    for (StepInput in : batch) {
      long words = 0;
      for (JsonNode part : in.input().path("outputs").path("count")) {
        words += part.path("words").asLong();
      }
      ObjectNode row = JsonNodeFactory.instance.objectNode();
      row.put("words", words);
      row.put("parts", in.input().path("parts").asInt());
      row.put("dead", in.input().path("dead").size());
      out.add(StepResult.ok(row));
    }
    return out;
  }
}
