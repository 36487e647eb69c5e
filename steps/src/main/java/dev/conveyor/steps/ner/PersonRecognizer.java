package dev.conveyor.steps.ner;

import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code person} step of the {@code ner} pipeline (an entry step): part text in, {@code
 * {"entities": [{"kind": "person", "surface", "start", "end"}, ...]}} out, offsets in code points
 * of the task's whole text. The rules are in {@link PersonRules}.
 *
 * <p>Needs two resources: {@code first_names}, UTF-8, one first name per line, {@code #} comment
 * lines and blank lines skipped; and {@code person_words}, the word lists of the rules ({@link
 * PersonWords}, the file {@code steps/person.py} reads too). What is built from them is built once
 * per JVM and shared by every worker.
 */
public final class PersonRecognizer implements Step {
  /** The name of the gazetteer resource. */
  public static final String FIRST_NAMES = "first_names";

  /** The name of the resource with the word lists. */
  public static final String PERSON_WORDS = "person_words";

  private PersonRules rules;

  @Override
  public void open(StepContext context) {
    Set<String> firstNames = firstNames(required(context, FIRST_NAMES));
    rules = new PersonRules(firstNames, PersonWords.of(required(context, PERSON_WORDS)));
  }

  @Override
  public List<StepResult> process(List<StepInput> batch) {
    if (rules == null) {
      throw new IllegalStateException("PersonRecognizer is not open");
    }
    return Recognitions.process(batch, rules::find);
  }

  private static StepContext.SharedResource required(StepContext context, String name) {
    return context
        .resource(name)
        .orElseThrow(() ->
            new IllegalStateException(
                "step '"
                    + context.step()
                    + "' needs the resource '"
                    + name
                    + "' (add 'resources: ["
                    + name
                    + "]' to the step)"));
  }

  /** The gazetteer as a set, built once per JVM for the mapped file. */
  @SuppressWarnings("unchecked")
  static Set<String> firstNames(StepContext.SharedResource resource) {
    return SharedResources.computeShared(
        resource, "first-names", Set.class, PersonRecognizer::readFirstNames);
  }

  static Set<String> readFirstNames(StepContext.SharedResource resource) {
    Set<String> names = new HashSet<>();
    for (String line : SharedResources.lines(resource)) {
      String name = line.strip();
      if (!name.isEmpty() && !name.startsWith("#")) {
        names.add(name);
      }
    }
    return Set.copyOf(names);
  }
}
