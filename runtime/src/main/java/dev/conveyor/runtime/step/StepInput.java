package dev.conveyor.runtime.step;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One item for a step.
 *
 * @param part the part number, or {@link #TASK} when the step runs once per task
 * @param input for an entry step the part's input ({@code {"text": ..., "offset": ...}} for a text
 *     split, the payload for no split); for a step with one predecessor that step's output for the
 *     same item; for a join, an object with each predecessor's output under its name; for a
 *     task-scope step after per-part steps, {@code {"parts": n, "dead": [..], "outputs": {"<pred>":
 *     {"0": .., "1": ..}}}}
 */
public record StepInput(String taskId, int part, JsonNode input) {
  /** The part number of an item that stands for the whole task. */
  public static final int TASK = -1;
}
