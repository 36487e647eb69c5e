package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The records hold their invariants when built in code, not only when parsed. */
class ModelTest {

  static StepDef java(String name, List<String> after) {
    return new StepDef(
        name,
        StepKind.JAVA,
        after,
        Scope.PART,
        100,
        Duration.ZERO,
        Duration.ofSeconds(1),
        Duration.ofSeconds(1),
        1,
        1,
        RetryPolicy.DEFAULT,
        Duration.ofSeconds(30),
        "x.Step",
        List.of(),
        List.of(),
        Map.of(),
        null);
  }

  static Pipeline pipeline(List<StepDef> steps) {
    return new Pipeline(
        "p",
        1,
        Path.of("p.yaml"),
        SplitRule.NONE,
        10,
        Duration.ofMinutes(1),
        0,
        Cleanup.DEFAULT,
        Map.of(),
        steps);
  }

  @Test
  void aPipelineBuiltInCodeIsCheckedLikeAParsedOne() {
    assertThatThrownBy(() -> pipeline(List.of(java("a", List.of("b")), java("b", List.of("a")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("steps form a cycle: a -> b -> a");
    assertThatThrownBy(() -> pipeline(List.of(java("a", List.of()), java("a", List.of()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate step 'a'");
    assertThatThrownBy(() -> pipeline(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no steps");
    assertThat(pipeline(List.of(java("a", List.of()))).entrySteps()).hasSize(1);
  }

  @Test
  void aStepRejectsSettingsOfTheWrongKind() {
    StepDef ok = java("a", List.of());
    assertThatThrownBy(() ->
            new StepDef(
                "a",
                StepKind.COMMAND,
                List.of(),
                Scope.PART,
                1,
                Duration.ZERO,
                Duration.ZERO,
                ok.slice(),
                1,
                1,
                ok.retry(),
                ok.timeout(),
                "x.Step",
                List.of("run"),
                List.of(),
                Map.of(),
                null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("class");
    assertThatThrownBy(() ->
            new StepDef(
                "a",
                StepKind.SINK,
                List.of(),
                Scope.PART,
                1,
                Duration.ZERO,
                Duration.ZERO,
                ok.slice(),
                1,
                1,
                ok.retry(),
                ok.timeout(),
                null,
                null,
                List.of(),
                null,
                null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sink");
  }

  @Test
  void aStepCopiesItsCollectionsDeeply() {
    var after = new ArrayList<>(List.of("x"));
    var inner = new HashMap<String, Object>(Map.of("k", "v"));
    var options = new HashMap<String, Object>(Map.of("inner", inner));
    StepDef step =
        new StepDef(
            "a",
            StepKind.JAVA,
            after,
            Scope.PART,
            1,
            Duration.ZERO,
            Duration.ZERO,
            Duration.ofSeconds(1),
            1,
            1,
            RetryPolicy.DEFAULT,
            Duration.ofSeconds(1),
            "x.A",
            null,
            List.of(),
            options,
            null);
    after.add("y");
    inner.put("k", "changed");

    assertThat(step.after()).containsExactly("x");
    assertThat(step.options()).isEqualTo(Map.of("inner", Map.of("k", "v")));
  }

  @Test
  void aSinkRejectsColumnsWithoutItsKey() {
    assertThatThrownBy(() -> new SinkDef("public", "t", List.of("id"), List.of("x"), 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must contain every key column");
    assertThatThrownBy(() -> new SinkDef("public", "t", List.of(), List.of(), 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sink without a key");
    assertThatThrownBy(() -> new SinkDef("Public", "t", List.of("id"), List.of(), 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pipelinesRejectTwoWithTheSameName() {
    Pipeline p = pipeline(List.of(java("a", List.of())));

    assertThatThrownBy(() -> Pipelines.of(List.of(p, p)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pipeline 'p' is declared in both");
    assertThat(Pipelines.of(List.of(p)).get("p")).contains(p);
    assertThat(Pipelines.empty().isEmpty()).isTrue();
  }
}
