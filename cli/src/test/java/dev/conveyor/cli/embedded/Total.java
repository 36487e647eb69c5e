package dev.conveyor.cli.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;

/** Test step gathering all parts: {"rows": [{"words": sum, "dead": k}]}. */
public final class Total implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> out = new ArrayList<>();
    for (StepInput in : batch) {
      long words = 0;
      for (JsonNode part : in.input().path("outputs").path("words")) {
        words += part.path("words").asLong();
      }
      ObjectNode row = JsonNodeFactory.instance.objectNode();
      row.put("words", words);
      row.put("dead", in.input().path("dead").size());
      out.add(
          StepResult.ok(
              JsonNodeFactory.instance
                  .objectNode()
                  .set("rows", JsonNodeFactory.instance.arrayNode().add(row))));
    }
    return out;
  }
}
