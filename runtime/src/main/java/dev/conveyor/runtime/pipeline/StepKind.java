package dev.conveyor.runtime.pipeline;

/** What runs a step: a Java class, an external program, or a batched insert into PostgreSQL. */
public enum StepKind {
  /** A class implementing the step interface, named by {@code class:}. */
  JAVA,
  /** An external program speaking JSON lines on stdin/stdout, given by {@code command:}. */
  COMMAND,
  /** A batched idempotent insert into a table, described by {@code sink:}. */
  SINK
}
