package dev.conveyor.processor.teststeps;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Test step with a shared resource: {"text": w} → {"text": w, "known": true|false}, whether w is a
 * line of the resource {@code words}; the word set is built once per JVM, not per worker.
 */
public final class Known implements Step {
  private Set<String> words;

  @Override
  @SuppressWarnings("unchecked")
  public void open(StepContext context) {
    StepContext.SharedResource resource = context.resource("words").orElseThrow();
    words =
        SharedResources.computeShared(
            resource,
            "word-set",
            Set.class,
            r -> {
              Set<String> set = new HashSet<>();
              SharedResources.lines(r).forEach(set::add);
              return Set.copyOf(set);
            });
  }

  @Override
  public List<StepResult> process(List<StepInput> batch) {
    return batch.stream()
        .map(in -> {
          String text = in.input().path("text").asText();
          return StepResult.ok(
              JsonNodeFactory.instance
                  .objectNode()
                  .put("text", text + (words.contains(text) ? ":known" : ":unknown")));
        })
        .toList();
  }
}
