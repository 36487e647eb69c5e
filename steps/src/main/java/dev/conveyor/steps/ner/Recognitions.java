package dev.conveyor.steps.ner;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;

/** The batch loop the two recognisers share: part text in, {@code {"entities": [...]}} out. */
final class Recognitions {
  private Recognitions() {}

  /** Finds the entities of one part text; offsets already shifted to the whole text. */
  @FunctionalInterface
  interface Finder {
    List<Entity> find(String text, int offset);
  }

  static List<StepResult> process(List<StepInput> batch, Finder finder) {
    List<StepResult> results = new ArrayList<>(batch.size());
    for (StepInput in : batch) {
      PartText part;
      try {
        part = PartText.of(in.input());
      } catch (IllegalArgumentException e) {
        results.add(StepResult.failed(e.getMessage()));
        continue;
      }
      results.add(StepResult.ok(output(finder.find(part.text(), part.offset()))));
    }
    return results;
  }

  static ObjectNode output(List<Entity> entities) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode array = out.putArray("entities");
    entities.forEach(e -> array.add(e.toJson()));
    return out;
  }
}
