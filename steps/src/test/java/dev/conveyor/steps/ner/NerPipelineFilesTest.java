package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.pipeline.Cleanup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Scope;
import dev.conveyor.runtime.pipeline.SplitRule;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.step.Step;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code deploy/pipelines/ner.yaml} and {@code ner-py.yaml} load and wire these steps. */
class NerPipelineFilesTest {
  private static Pipeline load(String file) {
    return PipelineLoader.loadFile(
        TestResource.repositoryRoot().resolve("deploy/pipelines/" + file));
  }

  private static StepDef step(Pipeline p, String name) {
    return p.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void nerSplitsTextAndRunsBothRecognisersThenMergeAssembleAndDeliver() {
    Pipeline ner = load("ner.yaml");

    assertThat(ner.name()).isEqualTo("ner");
    assertThat(ner.split()).isEqualTo(new SplitRule(SplitRule.Mode.TEXT, "text", 2000));
    assertThat(ner.cleanup().mode()).isEqualTo(Cleanup.Mode.AUTO);
    assertThat(ner.cleanup().tolerance()).isEqualTo(0.1);
    assertThat(ner.resources())
        .containsOnlyKeys("first_names", "person_words")
        .containsEntry("first_names", TestResource.firstNamesFile().toAbsolutePath().normalize())
        .containsEntry("person_words", TestResource.personWordsFile().toAbsolutePath().normalize());
    assertThat(ner.steps())
        .extracting(StepDef::name)
        .containsExactly("company", "person", "merge", "assemble", "deliver");
    assertThat(step(ner, "company").after()).isEmpty();
    assertThat(step(ner, "person").after()).isEmpty();
    assertThat(step(ner, "person").resources()).containsExactly("first_names", "person_words");
    assertThat(step(ner, "merge").after()).containsExactly("company", "person");
    assertThat(step(ner, "assemble").scope()).isEqualTo(Scope.TASK);
    StepDef deliver = step(ner, "deliver");
    assertThat(deliver.kind()).isEqualTo(StepKind.SINK);
    assertThat(deliver.sink().qualifiedName()).isEqualTo("conveyor.ner_entities");
    assertThat(deliver.sink().key()).containsExactly("task_id", "kind", "start_offset");
  }

  @Test
  void theJavaClassesItNamesAreStepsWithPublicNoArgumentConstructors() throws Exception {
    for (StepDef s : load("ner.yaml").steps()) {
      if (s.kind() == StepKind.JAVA) {
        Object step = Class.forName(s.javaClass()).getConstructor().newInstance();
        assertThat(step).as(s.name()).isInstanceOf(Step.class);
      }
    }
  }

  @Test
  void nerPyIsNerWithThePersonStepInPython() {
    Pipeline ner = load("ner.yaml");
    Pipeline py = load("ner-py.yaml");

    assertThat(py.name()).isEqualTo("ner-py");
    StepDef person = step(py, "person");
    assertThat(person.kind()).isEqualTo(StepKind.COMMAND);
    assertThat(person.command()).containsExactly("python3", "steps/person.py");
    assertThat(person.resources()).containsExactly("first_names", "person_words");
    assertThat(py.resources()).isEqualTo(ner.resources());
    assertThat(py.split()).isEqualTo(ner.split());
    assertThat(py.cleanup()).isEqualTo(ner.cleanup());
    List<String> others = List.of("company", "merge", "assemble", "deliver");
    for (String name : others) {
      assertThat(step(py, name)).as(name).isEqualTo(step(ner, name));
    }
    assertThat(Path.of(py.source().toString()).resolveSibling("steps/person.py")).isRegularFile();
  }
}
