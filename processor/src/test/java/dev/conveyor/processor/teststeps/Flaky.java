package dev.conveyor.processor.teststeps;

import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test step that fails each item its first {@code options.fail_times} times, then passes the input
 * through. Counts per instance, so a pipeline using it runs one worker.
 */
public final class Flaky implements Step {
  private final Map<String, Integer> seen = new HashMap<>();
  private int failTimes;

  @Override
  public void open(StepContext context) {
    failTimes = ((Number) context.options().getOrDefault("fail_times", 1)).intValue();
  }

  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> out = new ArrayList<>();
    for (StepInput in : batch) {
      int n = seen.merge(in.taskId() + "/" + in.part(), 1, Integer::sum);
      out.add(n <= failTimes ? StepResult.failed("flaky failure " + n) : StepResult.ok(in.input()));
    }
    return out;
  }
}
