package dev.conveyor.runtime.pipeline;

import static dev.conveyor.runtime.pipeline.PipelineErrorsTest.problemsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Problems inside one step: its keys, types, values and kind-specific settings. */
class StepErrorsTest {

  /** A pipeline whose only step is {@code step} (a flow mapping or block lines). */
  static String withStep(String step) {
    return "pipeline: ner\nversion: 1\nsteps:\n  - " + step + "\n";
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          batch: many          | 'batch' must be an integer from 1 to 100000, was 'many'
          batch: 0             | 'batch' must be an integer from 1 to 100000, was 0
          batch: 100001        | 'batch' must be an integer from 1 to 100000, was 100001
          batch: [1]           | 'batch' must be an integer from 1 to 100000, was a list
          shards: 1025         | 'shards' must be an integer from 1 to 1024, was 1025
          workers: 0           | 'workers' must be an integer from 1 to 1024, was 0
          offset: 5 minutes    | bad duration for 'offset': '5 minutes' (use e.g. 500ms, 1s, 5m, PT30S)
          slice: 0s            | bad duration for 'slice': '0s' (must be more than zero)
          timeout: 0ms         | bad duration for 'timeout': '0ms' (must be more than zero)
          timeout: -1s         | bad duration for 'timeout': '-1s' (use e.g. 500ms, 1s, 5m, PT30S)
          scope: tasks         | 'scope' must be one of part, task, was 'tasks'
          retry: 3             | 'retry' must be a mapping, was 3
          retry: {attempt: 3}  | unknown key 'retry.attempt' (known: attempts, backoff, max_backoff)
          retry: {attempts: 0} | 'retry.attempts' must be an integer >= 1, was 0
          retry: {backoff: 0s} | bad duration for 'retry.backoff': '0s' (must be more than zero)
          retry: {backoff: 1m, max_backoff: 30s} | 'retry.backoff' (1m) must not exceed 'retry.max_backoff' (30s)
          retry: {backoff: 10m}                  | 'retry.backoff' (10m) must not exceed 'retry.max_backoff' (5m)
          options: [a, b]      | 'options' must be a mapping, was a list
          options: loud        | 'options' must be a mapping, was 'loud'
          after: {a: 1}        | 'after' must be a string or a list of strings, was a mapping
          after: [5]           | 'after' item 1 must be a non-empty string, was 5 (quote it)
          resources: [[x]]     | 'resources' item 1 must be a non-empty string, was a list
          """)
  void aBadStepValueNamesTheStepAndTheKey(String setting, String problem) {
    assertThat(problemsOf(withStep("{name: company, kind: java, class: x.C, " + setting + "}")))
        .isEqualTo("ner.yaml: step 'company': " + problem);
  }

  @Test
  void anUnknownStepKeyIsAnErrorListingTheKnownKeys() {
    assertThat(problemsOf(withStep("{name: company, kind: java, class: x.C, batches: 5}")))
        .isEqualTo(
            "ner.yaml: step 'company': unknown key 'batches' (known: name, kind, class, command,"
                + " after, scope, batch, batch_wait, offset, slice, shards, workers, retry, timeout,"
                + " resources, options, sink)");
  }

  @Test
  void aStepWithoutANameIsNamedByItsPosition() {
    assertThat(
            problemsOf(
                """
                pipeline: ner
                version: 1
                steps:
                  - {name: a, kind: java, class: x.A}
                  - {kind: java, class: x.B, batch: 0}
                """))
        .isEqualTo(
            """
            ner.yaml: step #2: missing required key 'name'
            ner.yaml: step #2: 'batch' must be an integer from 1 to 100000, was 0\
            """);
  }

  @Test
  void aStepThatIsNotAMappingIsNamedByItsPosition() {
    assertThat(problemsOf(withStep("company")))
        .isEqualTo("ner.yaml: step #1 must be a mapping, was 'company'");
  }

  @Test
  void aBadStepNameIsAnError() {
    assertThat(problemsOf(withStep("{name: Company, kind: java, class: x.C}")))
        .isEqualTo("ner.yaml: step 'Company': bad step name (use [a-z][a-z0-9_-]{0,62})");
    assertThat(problemsOf(withStep("{name: 7up, kind: java, class: x.C}")))
        .isEqualTo("ner.yaml: step '7up': bad step name (use [a-z][a-z0-9_-]{0,62})");
    assertThat(problemsOf(withStep("{name: 7, kind: java, class: x.C}")))
        .isEqualTo("ner.yaml: step #1: 'name' must be a non-empty string, was 7");
  }

  @Test
  void aMissingOrUnknownKindIsAnError() {
    assertThat(problemsOf(withStep("{name: company, class: x.C}")))
        .isEqualTo("ner.yaml: step 'company': missing required key 'kind'");
    assertThat(problemsOf(withStep("{name: company, kind: python}")))
        .isEqualTo(
            "ner.yaml: step 'company': 'kind' must be one of java, command, sink, was 'python'");
  }

  @Test
  void aJavaStepNeedsAValidClass() {
    assertThat(problemsOf(withStep("{name: company, kind: java}")))
        .isEqualTo("ner.yaml: step 'company': kind java needs 'class'");
    assertThat(problemsOf(withStep("{name: company, kind: java, class: 'not a class'}")))
        .isEqualTo("ner.yaml: step 'company': 'class' is not a Java class name: 'not a class'");
  }

  @Test
  void aCommandStepNeedsANonEmptyCommandOfStrings() {
    assertThat(problemsOf(withStep("{name: person, kind: command}")))
        .isEqualTo("ner.yaml: step 'person': kind command needs 'command'");
    assertThat(problemsOf(withStep("{name: person, kind: command, command: []}")))
        .isEqualTo("ner.yaml: step 'person': 'command' must not be empty");
    assertThat(problemsOf(withStep("{name: person, kind: command, command: '  '}")))
        .isEqualTo("ner.yaml: step 'person': 'command' must not be blank");
    assertThat(problemsOf(withStep("{name: person, kind: command, command: [run.py, 0.50]}")))
        .isEqualTo(
            "ner.yaml: step 'person': 'command' item 2 must be a non-empty string, was 0.5"
                + " (quote it)");
  }

  @Test
  void settingsOfAnotherKindAreErrors() {
    assertThat(problemsOf(withStep("{name: a, kind: command, command: run, class: x.A}")))
        .isEqualTo("ner.yaml: step 'a': 'class' is only for kind java");
    assertThat(problemsOf(withStep("{name: a, kind: java, class: x.A, command: run}")))
        .isEqualTo("ner.yaml: step 'a': 'command' is only for kind command");
    assertThat(problemsOf(withStep("{name: a, kind: java, class: x.A, sink: {table: t, key: id}}")))
        .isEqualTo("ner.yaml: step 'a': 'sink' is only for kind sink");
    assertThat(
            problemsOf(
                withStep("{name: a, kind: sink, options: {x: 1}, sink: {table: t, key: id}}")))
        .isEqualTo(
            "ner.yaml: step 'a': 'options' is only for kinds java and command (a sink has none)");
  }

  @Test
  void aSinkStepNeedsASink() {
    assertThat(problemsOf(withStep("{name: deliver, kind: sink}")))
        .isEqualTo("ner.yaml: step 'deliver': kind sink needs 'sink'");
    assertThat(problemsOf(withStep("{name: deliver, kind: sink, sink: conveyor.t}")))
        .isEqualTo("ner.yaml: step 'deliver': 'sink' must be a mapping, was 'conveyor.t'");
  }

  @Test
  void aSinkWithoutAKeyIsAnError() {
    assertThat(problemsOf(withStep("{name: deliver, kind: sink, sink: {table: conveyor.t}}")))
        .isEqualTo("ner.yaml: step 'deliver': sink without a key");
    assertThat(
            problemsOf(withStep("{name: deliver, kind: sink, sink: {table: conveyor.t, key: []}}")))
        .isEqualTo("ner.yaml: step 'deliver': sink without a key");
  }

  @Test
  void sinkColumnsMustContainEveryKeyColumn() {
    assertThat(
            problemsOf(
                withStep(
                    "{name: deliver, kind: sink, sink: {table: conveyor.ner_entities,"
                        + " key: [task_id, kind, start_offset], columns: [task_id, surface]}}")))
        .isEqualTo(
            """
            ner.yaml: step 'deliver': 'sink.columns' lacks key column 'kind'
            ner.yaml: step 'deliver': 'sink.columns' lacks key column 'start_offset'\
            """);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          key: id                      | missing required key 'sink.table'
          table: a.b.c, key: id        | 'sink.table' must be [schema.]table with identifiers like [a-z_][a-z0-9_]{0,62}, was 'a.b.c'
          table: Conveyor.T, key: id   | 'sink.table' must be [schema.]table with identifiers like [a-z_][a-z0-9_]{0,62}, was 'Conveyor.T'
          table: .t, key: id           | 'sink.table' must be [schema.]table with identifiers like [a-z_][a-z0-9_]{0,62}, was '.t'
          table: t, key: [id, id]      | 'sink.key' lists 'id' twice
          table: t, key: [Id]          | 'sink.key' has a bad column name 'Id' (use [a-z_][a-z0-9_]{0,62})
          table: t, key: id, columns: [id, x-y] | 'sink.columns' has a bad column name 'x-y' (use [a-z_][a-z0-9_]{0,62})
          table: t, key: id, batch_rows: 0      | 'sink.batch_rows' must be an integer from 1 to 100000, was 0
          table: t, key: id, upsert: true       | unknown key 'sink.upsert' (known: table, key, columns, batch_rows)
          """)
  void aBadSinkSettingIsReportedByKey(String sink, String problem) {
    assertThat(problemsOf(withStep("{name: deliver, kind: sink, sink: {" + sink + "}}")))
        .isEqualTo("ner.yaml: step 'deliver': " + problem);
  }

  @Test
  void aSinkTableWithoutSchemaIsInPublicAndKeyMayBeOneString() {
    StepDef deliver =
        PipelineLoader.parse(
                withStep("{name: deliver, kind: sink, sink: {table: t, key: id}}"), "x")
            .steps()
            .getFirst();

    assertThat(deliver.sink())
        .isEqualTo(new SinkDef("public", "t", List.of("id"), List.of(), 1000));
  }
}
