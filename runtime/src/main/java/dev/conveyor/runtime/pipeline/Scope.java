package dev.conveyor.runtime.pipeline;

/** What one item of a step is. */
public enum Scope {
  /** One run per part of a task. */
  PART,
  /** One run per task, once every part has passed all of the step's predecessors. */
  TASK
}
