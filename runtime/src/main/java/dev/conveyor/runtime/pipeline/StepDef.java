package dev.conveyor.runtime.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One step of a pipeline, with every setting resolved (step value, else the pipeline's {@code
 * defaults:}, else the built-in default).
 *
 * @param after the predecessors' names; empty for an entry step
 * @param batch the most items one tick takes from the queue at a time (and a {@code command} step
 *     sends a worker in one request, when the program takes batches)
 * @param batchWait how long a tick that read fewer than {@code batch} new items waits for more
 *     before it processes them (zero: it does not wait)
 * @param offset the delay before the next tick when the queue was empty (may be zero)
 * @param slice the longest a tick keeps draining its queue
 * @param timeout the longest one item may take
 * @param javaClass the class to run for kind {@link StepKind#JAVA}, else {@code null}
 * @param command the program and its arguments for kind {@link StepKind#COMMAND}, else empty
 * @param resources names of the pipeline's resources this step reads
 * @param options free-form settings for the step implementation: an unmodifiable tree of maps,
 *     lists, strings, numbers, booleans and nulls, in file order
 * @param sink where rows go for kind {@link StepKind#SINK}, else {@code null}
 */
public record StepDef(
    String name,
    StepKind kind,
    List<String> after,
    Scope scope,
    int batch,
    Duration batchWait,
    Duration offset,
    Duration slice,
    int shards,
    int workers,
    RetryPolicy retry,
    Duration timeout,
    String javaClass,
    List<String> command,
    List<String> resources,
    Map<String, Object> options,
    SinkDef sink) {
  public static final int DEFAULT_BATCH = 100;
  public static final int MAX_BATCH = 100_000;
  public static final Duration DEFAULT_BATCH_WAIT = Duration.ZERO;
  public static final Duration DEFAULT_OFFSET = Duration.ofSeconds(1);
  public static final Duration DEFAULT_SLICE = Duration.ofSeconds(1);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_SHARDS = 1;
  public static final int MAX_SHARDS = 1024;
  public static final int DEFAULT_WORKERS = 1;
  public static final int MAX_WORKERS = 1024;

  public StepDef {
    Names.requireName("step", name);
    Objects.requireNonNull(kind, "kind");
    after = List.copyOf(after);
    Objects.requireNonNull(scope, "scope");
    requireRange(name, "batch", batch, 1, MAX_BATCH);
    Objects.requireNonNull(batchWait, "batchWait");
    if (batchWait.isNegative()) {
      throw new IllegalArgumentException("step '" + name + "': batch_wait must be >= 0");
    }
    Objects.requireNonNull(offset, "offset");
    if (offset.isNegative()) {
      throw new IllegalArgumentException("step '" + name + "': offset must be >= 0");
    }
    requirePositive(name, "slice", slice);
    requireRange(name, "shards", shards, 1, MAX_SHARDS);
    requireRange(name, "workers", workers, 1, MAX_WORKERS);
    Objects.requireNonNull(retry, "retry");
    requirePositive(name, "timeout", timeout);
    command = command == null ? List.of() : List.copyOf(command);
    resources = List.copyOf(resources);
    options = options == null ? Map.of() : ImmutableValues.copyOf(options);
    if ((kind == StepKind.JAVA) != (javaClass != null)) {
      throw new IllegalArgumentException(
          "step '" + name + "': a class is required for kind java and forbidden otherwise");
    }
    if (javaClass != null && !Names.isJavaClassName(javaClass)) {
      throw new IllegalArgumentException(
          "step '" + name + "': '" + javaClass + "' is not a Java class name");
    }
    if ((kind == StepKind.COMMAND) == command.isEmpty()) {
      throw new IllegalArgumentException(
          "step '" + name + "': a command is required for kind command and forbidden otherwise");
    }
    if ((kind == StepKind.SINK) != (sink != null)) {
      throw new IllegalArgumentException(
          "step '" + name + "': a sink is required for kind sink and forbidden otherwise");
    }
  }

  /** Whether this step has no predecessors: it receives every part of a new task. */
  public boolean isEntry() {
    return after.isEmpty();
  }

  private static void requireRange(String name, String what, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "step '"
              + name
              + "': "
              + what
              + " must be from "
              + min
              + " to "
              + max
              + ", was "
              + value);
    }
  }

  private static void requirePositive(String name, String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("step '" + name + "': " + what + " must be > 0");
    }
  }
}
