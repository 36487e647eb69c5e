package dev.conveyor.runtime.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Scope;
import dev.conveyor.runtime.pipeline.StepDef;
import java.util.ArrayList;
import java.util.List;

/**
 * What recording one step's result must check, computed once per step at start-up, for {@code
 * record_progress.lua}: the KEYS it needs, in order, and two JSON specs. For an output: which of
 * the step's successors may have become ready (and the outputs that decide it). For a dead item:
 * which steps that gather all parts of a task may have become ready. For both: which terminal steps
 * decide that the task is complete.
 *
 * @param outputSteps steps whose output hashes the script reads; index 0 is this step
 */
public record StepProgress(
    String pipeline, String step, List<String> outputSteps, String outputSpec, String deadSpec) {
  // KEYS[1] meta, KEYS[2] dead, KEYS[3 + i] = output of outputSteps[i]
  private static final int FIRST_OUTPUT_KEY = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  public StepProgress {
    outputSteps = List.copyOf(outputSteps);
  }

  /** The specs for {@code step} of {@code pipeline}. */
  public static StepProgress of(Pipeline pipeline, StepDef step) {
    List<String> outputs = new ArrayList<>(List.of(step.name()));
    ObjectNode output = JSON.createObjectNode();
    ArrayNode successors = output.putArray("successors");
    pipeline
        .successors(step.name())
        .forEach(next -> successors.add(waitFor(pipeline, next, outputs)));
    ObjectNode dead = JSON.createObjectNode();
    ArrayNode gatherers = dead.putArray("successors");
    for (StepDef s : pipeline.steps()) {
      if (gathersParts(pipeline, s)) {
        gatherers.add(waitFor(pipeline, s, outputs));
      }
    }
    ArrayNode terminals = JSON.createArrayNode();
    for (StepDef terminal : pipeline.terminalSteps()) {
      ObjectNode t = terminals.addObject();
      t.put("key", keyIndex(outputs, terminal.name()));
      t.put("scope", pipeline.runsPerTask(terminal.name()) ? "task" : "part");
    }
    output.set("terminals", terminals);
    dead.set("terminals", terminals.deepCopy());
    return new StepProgress(
        pipeline.name(), step.name(), outputs, output.toString(), dead.toString());
  }

  /** A task-scope step after per-part steps: it waits for every part of the task. */
  public static boolean gathersParts(Pipeline pipeline, StepDef step) {
    return step.scope() == Scope.TASK && !pipeline.runsPerTask(step.after().getFirst());
  }

  /** The script's KEYS for one task. */
  public List<String> keys(Keys keys, String taskId) {
    List<String> k = new ArrayList<>(FIRST_OUTPUT_KEY - 1 + outputSteps.size());
    k.add(keys.taskMeta(taskId));
    k.add(keys.taskDead(taskId));
    outputSteps.forEach(s -> k.add(keys.taskOutput(taskId, s)));
    return k;
  }

  private static ObjectNode waitFor(Pipeline pipeline, StepDef next, List<String> outputs) {
    ObjectNode s = JSON.createObjectNode();
    s.put("name", next.name());
    // why: a step gathering per-part outputs waits for every part; any other step waits for the
    // same item (the same part, or the task) from each predecessor
    s.put("wait", gathersParts(pipeline, next) ? "all_parts" : "same_item");
    ArrayNode preds = s.putArray("preds");
    next.after().forEach(pred -> preds.add(keyIndex(outputs, pred)));
    return s;
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
