package dev.conveyor.runtime.work;

import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;

/** A test step that takes 300 ms per call, then answers each input with itself. */
public final class SleepyStep implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) throws InterruptedException {
    Thread.sleep(300);
    return batch.stream().map(in -> StepResult.ok(in.input())).toList();
  }
}
