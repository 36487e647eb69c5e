package dev.conveyor.runtime.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shapes of a step's input (see {@link dev.conveyor.runtime.step.StepInput}), built from stored
 * JSON texts without parsing them: the same in the processor and in the embedded run.
 */
public final class StepInputs {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StepInputs() {}

  /**
   * The input of an item from its predecessors' outputs: the one output itself, or {@code
   * {"<pred>": <output>, ...}} for a join.
   */
  public static String join(List<String> preds, List<String> outputs) {
    if (outputs.size() == 1) {
      return outputs.getFirst();
    }
    ObjectNode joined = JSON.createObjectNode();
    for (int k = 0; k < preds.size(); k++) {
      joined.putRawValue(preds.get(k), new RawValue(outputs.get(k)));
    }
    return joined.toString();
  }

  /**
   * The input of a step gathering every part: {@code {"parts": n, "dead": [...], "outputs":
   * {"<pred>": {"<part>": output}}}}.
   *
   * @param deadFields the task's dead fields (part numbers; "task" is ignored)
   * @param outputs for each predecessor, part number → output
   */
  public static String gather(
      int parts, Set<String> deadFields, List<String> preds, List<Map<String, String>> outputs) {
    ObjectNode in = JSON.createObjectNode();
    in.put("parts", parts);
    ArrayNode dead = in.putArray("dead");
    deadFields.stream()
        .filter(f -> !f.equals(QueueItem.WHOLE_TASK))
        .map(Integer::parseInt)
        .sorted()
        .forEach(dead::add);
    ObjectNode byPred = in.putObject("outputs");
    for (int k = 0; k < preds.size(); k++) {
      ObjectNode byPart = byPred.putObject(preds.get(k));
      outputs.get(k).entrySet().stream()
          .sorted(Comparator.comparingInt(e -> Integer.parseInt(e.getKey())))
          .forEach(e -> byPart.putRawValue(e.getKey(), new RawValue(e.getValue())));
    }
    return in.toString();
  }
}
