package dev.conveyor.runtime.step;

import java.util.List;

/**
 * A {@code java} step: the code a pipeline step runs, batch in, one result per item out. A pipeline
 * names the class ({@code class: com.example.MyStep}); it needs a public no-argument constructor.
 * The processor makes one instance per worker ({@code workers}), so an instance is used by one
 * thread at a time; large read-only data belongs in the pipeline's {@code resources}, which are
 * loaded once per JVM and shared by every instance.
 *
 * <p>A failing item must be a {@link StepResult.Failed} in its place, never a reason to fail the
 * batch; throwing from {@link #process} fails every item of the call (each is then retried as the
 * step's {@code retry} says).
 */
public interface Step {

  /** Called once before the first batch, with the step's options and resources. */
  default void open(StepContext context) throws Exception {}

  /** One result per input, in the same order. */
  List<StepResult> process(List<StepInput> batch) throws Exception;

  /** Called once when the step stops. */
  default void close() throws Exception {}
}
