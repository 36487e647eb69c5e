package dev.conveyor.steps.ner;

import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;

/**
 * The {@code company} step of the {@code ner} pipeline (an entry step): part text in, {@code
 * {"entities": [{"kind": "company", "surface", "start", "end"}, ...]}} out, offsets in code points
 * of the task's whole text. The rules are in {@link CompanyRules}; no resources, no options.
 */
public final class CompanyRecognizer implements Step {
  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return Recognitions.process(batch, CompanyRules::find);
  }
}
