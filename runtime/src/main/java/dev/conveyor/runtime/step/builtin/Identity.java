package dev.conveyor.runtime.step.builtin;

import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;

/** A step whose output is its input: for trying pipelines and measuring per-step overhead. */
public final class Identity implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> out = new ArrayList<>(batch.size());
    batch.forEach(in -> out.add(StepResult.ok(in.input())));
    return out;
  }
}
