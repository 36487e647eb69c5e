package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Valid pipelines: what the model holds and how defaults are layered. */
class PipelineParserTest {

  static final String NER =
      """
      pipeline: ner
      version: 3
      split:
        mode: text
        field: body
        max_chars: 500
      max_in_flight: 200
      stuck_after: 5m
      max_redrives: 1
      cleanup:
        mode: force
        tolerance: 0.1
        grace: 30s
      resources:
        first_names: resources/first_names.txt
        stop_words: /opt/conveyor/stop_words.txt
      defaults:
        batch: 50
        offset: 500ms
        retry: {attempts: 5}
      steps:
        - name: company
          kind: java
          class: dev.conveyor.ner.CompanyRecognizer
          batch: 10
        - name: person
          kind: command
          command: [python3, steps/person.py, --lang, en]
          resources: [first_names]
          shards: 4
          workers: 2
          retry: {backoff: 2s, max_backoff: 1m}
          options: {threshold: 0.5, labels: [PER, ORG], nested: {deep: true, none: ~}}
        - name: merge
          kind: java
          class: dev.conveyor.ner.Merge
          after: [company, person]
        - name: assemble
          kind: java
          class: dev.conveyor.ner.Assemble$Inner
          after: merge
          scope: task
          timeout: 2m
        - name: deliver
          kind: sink
          after: [assemble]
          offset: 0ms
          sink:
            table: conveyor.ner_entities
            key: [task_id, kind, start_offset]
            columns: [task_id, kind, surface, start_offset, end_offset, part]
            batch_rows: 250
      """;

  static Pipeline ner() {
    return PipelineLoader.parse(NER, "pipelines/ner.yaml");
  }

  static List<String> names(List<StepDef> steps) {
    return steps.stream().map(StepDef::name).toList();
  }

  @Test
  void aLinearPipelineHasOneEntryAndOneTerminalStep() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: lines
            version: 1
            steps:
              - {name: read, kind: java, class: a.Read}
              - {name: clean, kind: command, command: ./clean, after: read}
              - name: store
                kind: sink
                after: [clean]
                sink: {table: lines, key: [task_id, part]}
            """,
            "lines.yaml");

    assertThat(p.name()).isEqualTo("lines");
    assertThat(p.version()).isEqualTo(1);
    assertThat(names(p.entrySteps())).containsExactly("read");
    assertThat(names(p.terminalSteps())).containsExactly("store");
    assertThat(names(p.topologicalOrder())).containsExactly("read", "clean", "store");
    assertThat(names(p.successors("read"))).containsExactly("clean");
    assertThat(p.step("store").orElseThrow().sink().qualifiedName()).isEqualTo("public.lines");
  }

  @Test
  void aFanOutAndJoinHasTwoEntriesAndOneTerminalStep() {
    Pipeline p = ner();

    assertThat(names(p.steps()))
        .containsExactly("company", "person", "merge", "assemble", "deliver");
    assertThat(names(p.entrySteps())).containsExactly("company", "person");
    assertThat(names(p.successors("company"))).containsExactly("merge");
    assertThat(names(p.successors("person"))).containsExactly("merge");
    assertThat(names(p.successors("merge"))).containsExactly("assemble");
    assertThat(names(p.successors("deliver"))).isEmpty();
    assertThat(names(p.terminalSteps())).containsExactly("deliver");
    assertThat(names(p.topologicalOrder()))
        .containsExactly("company", "person", "merge", "assemble", "deliver");
    assertThat(p.step("merge").orElseThrow().after()).containsExactly("company", "person");
    assertThat(p.step("merge").orElseThrow().isEntry()).isFalse();
    assertThat(p.step("company").orElseThrow().isEntry()).isTrue();
    assertThat(p.step("nope")).isEmpty();
  }

  @Test
  void topologicalOrderPutsEveryStepAfterItsPredecessorsAndKeepsDeclarationOrderOtherwise() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: shuffled
            version: 1
            steps:
              - {name: d, kind: java, class: x.D, after: [c, b]}
              - {name: c, kind: java, class: x.C, after: a}
              - {name: b, kind: java, class: x.B}
              - {name: a, kind: java, class: x.A}
              - {name: e, kind: java, class: x.E, after: b}
            """,
            "shuffled.yaml");

    assertThat(names(p.topologicalOrder())).containsExactly("b", "a", "c", "d", "e");
    assertThat(names(p.entrySteps())).containsExactly("b", "a");
    assertThat(names(p.terminalSteps())).containsExactly("d", "e");
  }

  @Test
  void successorsOfAnUnknownStepIsAnError() {
    assertThatThrownBy(() -> ner().successors("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no step 'nope'");
  }

  @Test
  void pipelineSettingsAreRead() {
    Pipeline p = ner();

    assertThat(p.source()).isEqualTo(Path.of("pipelines/ner.yaml"));
    assertThat(p.split()).isEqualTo(new SplitRule(SplitRule.Mode.TEXT, "body", 500));
    assertThat(p.maxInFlight()).isEqualTo(200);
    assertThat(p.stuckAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.maxRedrives()).isEqualTo(1);
    assertThat(p.cleanup()).isEqualTo(new Cleanup(Cleanup.Mode.FORCE, 0.1, Duration.ofSeconds(30)));
  }

  @Test
  void resourcePathsAreResolvedAgainstTheFilesDirectoryUnlessAbsolute() {
    assertThat(ner().resources())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "first_names", Path.of("pipelines/resources/first_names.txt"),
                "stop_words", Path.of("/opt/conveyor/stop_words.txt")));
    assertThat(ner().step("person").orElseThrow().resources()).containsExactly("first_names");
  }

  @Test
  void builtInDefaultsApplyWhenNothingIsSet() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: bare
            version: 7
            steps:
              - {name: only, kind: java, class: x.Only}
            """,
            "bare.yaml");
    StepDef s = p.steps().getFirst();

    assertThat(p.split()).isEqualTo(SplitRule.NONE);
    assertThat(p.split()).isEqualTo(new SplitRule(SplitRule.Mode.NONE, "text", 2000));
    assertThat(p.maxInFlight()).isEqualTo(10_000);
    assertThat(p.stuckAfter()).isEqualTo(Duration.ofMinutes(10));
    assertThat(p.maxRedrives()).isEqualTo(3);
    assertThat(p.cleanup()).isEqualTo(new Cleanup(Cleanup.Mode.AUTO, 0.0, Duration.ofSeconds(60)));
    assertThat(p.resources()).isEmpty();
    assertThat(s.after()).isEmpty();
    assertThat(s.scope()).isEqualTo(Scope.PART);
    assertThat(s.batch()).isEqualTo(100);
    assertThat(s.offset()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.slice()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.shards()).isEqualTo(1);
    assertThat(s.workers()).isEqualTo(1);
    assertThat(s.retry())
        .isEqualTo(new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(5)));
    assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.command()).isEmpty();
    assertThat(s.resources()).isEmpty();
    assertThat(s.options()).isEmpty();
    assertThat(s.sink()).isNull();
  }

  @Test
  void theDefaultsSectionOverridesBuiltInDefaults() {
    StepDef merge = ner().step("merge").orElseThrow();

    assertThat(merge.batch()).isEqualTo(50);
    assertThat(merge.offset()).isEqualTo(Duration.ofMillis(500));
    assertThat(merge.retry())
        .isEqualTo(new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofMinutes(5)));
    assertThat(merge.slice()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aStepOverridesTheDefaultsSectionRetryFieldByField() {
    Pipeline p = ner();

    assertThat(p.step("company").orElseThrow().batch()).isEqualTo(10);
    assertThat(p.step("deliver").orElseThrow().offset()).isEqualTo(Duration.ZERO);
    assertThat(p.step("assemble").orElseThrow().timeout()).isEqualTo(Duration.ofMinutes(2));
    StepDef person = p.step("person").orElseThrow();
    assertThat(person.shards()).isEqualTo(4);
    assertThat(person.workers()).isEqualTo(2);
    assertThat(person.retry())
        .isEqualTo(new RetryPolicy(5, Duration.ofSeconds(2), Duration.ofMinutes(1)));
  }

  @Test
  void kindSpecificFieldsAreKeptOnlyForTheirKind() {
    Pipeline p = ner();
    StepDef company = p.step("company").orElseThrow();
    StepDef person = p.step("person").orElseThrow();
    StepDef assemble = p.step("assemble").orElseThrow();
    StepDef deliver = p.step("deliver").orElseThrow();

    assertThat(company.kind()).isEqualTo(StepKind.JAVA);
    assertThat(company.javaClass()).isEqualTo("dev.conveyor.ner.CompanyRecognizer");
    assertThat(assemble.javaClass()).isEqualTo("dev.conveyor.ner.Assemble$Inner");
    assertThat(assemble.scope()).isEqualTo(Scope.TASK);
    assertThat(person.kind()).isEqualTo(StepKind.COMMAND);
    assertThat(person.javaClass()).isNull();
    assertThat(person.command()).containsExactly("python3", "steps/person.py", "--lang", "en");
    assertThat(deliver.kind()).isEqualTo(StepKind.SINK);
    assertThat(deliver.sink())
        .isEqualTo(
            new SinkDef(
                "conveyor",
                "ner_entities",
                List.of("task_id", "kind", "start_offset"),
                List.of("task_id", "kind", "surface", "start_offset", "end_offset", "part"),
                250));
    assertThat(deliver.sink().qualifiedName()).isEqualTo("conveyor.ner_entities");
  }

  @Test
  void aCommandGivenAsOneStringIsSplitOnWhitespace() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: cmd
            version: 1
            steps:
              - name: run
                kind: command
                command: "  python3   -u steps/run.py "
            """,
            "cmd.yaml");

    assertThat(p.steps().getFirst().command()).containsExactly("python3", "-u", "steps/run.py");
  }

  @Test
  void optionsAreAnOrderedImmutableTreeOfPlainValues() {
    Map<String, Object> options = ner().step("person").orElseThrow().options();

    assertThat(options).containsOnlyKeys("threshold", "labels", "nested");
    assertThat(options.keySet()).containsExactly("threshold", "labels", "nested");
    assertThat(options.get("threshold")).isEqualTo(0.5);
    assertThat(options.get("labels")).isEqualTo(List.of("PER", "ORG"));
    @SuppressWarnings("unchecked")
    Map<String, Object> nested = (Map<String, Object>) options.get("nested");
    assertThat(nested).containsEntry("deep", true).containsEntry("none", null);
    assertThatThrownBy(() -> options.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nested.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    List<Object> labels = (List<Object>) options.get("labels");
    assertThatThrownBy(() -> labels.add("x")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void theModelIsImmutable() {
    Pipeline p = ner();

    assertThatThrownBy(() -> p.steps().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.resources().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.steps().getFirst().after().add("x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void nullValuesReadAsAbsentAndAStringAfterIsOnePredecessor() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: nulls
            version: 1
            split:
            cleanup: ~
            defaults:
            steps:
              - name: a
                kind: java
                class: x.A
                after:
                batch: ~
              - {name: b, kind: java, class: x.B, after: a, options: ~}
            """,
            "nulls.yaml");

    assertThat(p.split()).isEqualTo(SplitRule.NONE);
    assertThat(p.cleanup()).isEqualTo(Cleanup.DEFAULT);
    assertThat(p.step("a").orElseThrow().isEntry()).isTrue();
    assertThat(p.step("a").orElseThrow().batch()).isEqualTo(100);
    assertThat(p.step("b").orElseThrow().after()).containsExactly("a");
    assertThat(p.step("b").orElseThrow().options()).isEmpty();
  }

  @Test
  void yesNoOnAndOffAreWordsNotBooleans() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: words
            version: 1
            cleanup: {mode: off}
            steps:
              - {name: a, kind: java, class: x.A, options: {flag: yes, other: true}}
            """,
            "words.yaml");

    assertThat(p.cleanup().mode()).isEqualTo(Cleanup.Mode.OFF);
    assertThat(p.steps().getFirst().options()).containsEntry("flag", "yes");
    assertThat(p.steps().getFirst().options()).containsEntry("other", true);
  }

  @Test
  void cleanupToleranceMayBeWrittenAsAnInteger() {
    Pipeline p =
        PipelineLoader.parse(
            """
            pipeline: tol
            version: 1
            cleanup: {tolerance: 1}
            steps: [{name: a, kind: java, class: x.A}]
            """,
            "tol.yaml");

    assertThat(p.cleanup().tolerance()).isEqualTo(1.0);
  }

  @Test
  void theSameTextParsesToEqualPipelines() {
    assertThat(ner()).isEqualTo(ner());
    assertThat(ner().hashCode()).isEqualTo(ner().hashCode());
  }
}
