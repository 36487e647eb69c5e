package dev.conveyor.common.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.Scope;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.redis.Keys;
import java.util.ArrayList;
import java.util.List;

/**
 * What recording one step's output must check, computed once per step at start-up: which successors
 * may have become ready (and the outputs that decide it) and which terminal steps decide that the
 * task is complete. It feeds {@code record_output.lua}: the KEYS it needs, in order, and its JSON
 * spec.
 *
 * @param outputSteps steps whose output hashes the script reads; index 0 is this step
 */
public record StepProgress(String pipeline, String step, List<String> outputSteps, String spec) {
  // KEYS[1] meta, KEYS[2] dead, KEYS[3 + i] = output of outputSteps[i]
  private static final int FIRST_OUTPUT_KEY = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  public StepProgress {
    outputSteps = List.copyOf(outputSteps);
  }

  /** The spec for {@code step} of {@code pipeline}. */
  public static StepProgress of(Pipeline pipeline, StepDef step) {
    List<String> outputs = new ArrayList<>(List.of(step.name()));
    ObjectNode spec = JSON.createObjectNode();
    ArrayNode successors = spec.putArray("successors");
    for (StepDef next : pipeline.successors(step.name())) {
      ObjectNode s = successors.addObject();
      s.put("name", next.name());
      // why: a task-scope step after per-part steps waits for every part; any other successor
      // waits for the same item (the same part, or the task) from each predecessor
      boolean gathersParts =
          next.scope() == Scope.TASK && !pipeline.runsPerTask(next.after().getFirst());
      s.put("wait", gathersParts ? "all_parts" : "same_item");
      ArrayNode preds = s.putArray("preds");
      next.after().forEach(pred -> preds.add(keyIndex(outputs, pred)));
    }
    ArrayNode terminals = spec.putArray("terminals");
    for (StepDef terminal : pipeline.terminalSteps()) {
      ObjectNode t = terminals.addObject();
      t.put("key", keyIndex(outputs, terminal.name()));
      t.put("scope", pipeline.runsPerTask(terminal.name()) ? "task" : "part");
    }
    return new StepProgress(pipeline.name(), step.name(), outputs, spec.toString());
  }

  /** The script's KEYS for one task. */
  public List<String> keys(Keys keys, String taskId) {
    List<String> k = new ArrayList<>(FIRST_OUTPUT_KEY - 1 + outputSteps.size());
    k.add(keys.taskMeta(taskId));
    k.add(keys.taskDead(taskId));
    outputSteps.forEach(s -> k.add(keys.taskOutput(taskId, s)));
    return k;
  }

  private static int keyIndex(List<String> outputs, String step) {
    int i = outputs.indexOf(step);
    if (i < 0) {
      outputs.add(step);
      i = outputs.size() - 1;
    }
    return FIRST_OUTPUT_KEY + i;
  }
}
