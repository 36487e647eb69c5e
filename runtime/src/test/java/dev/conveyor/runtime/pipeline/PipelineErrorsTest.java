package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Problems with the file as a whole and with pipeline-level keys. */
class PipelineErrorsTest {
  static final String STEPS =
      """
      steps:
        - {name: a, kind: java, class: x.A}
      """;

  /** The message of the exception that parsing {@code yaml} as {@code ner.yaml} throws. */
  static String problemsOf(String yaml) {
    return catchThrowableOfType(
            PipelineException.class, () -> PipelineLoader.parse(yaml, "ner.yaml"))
        .getMessage();
  }

  @Test
  void aYamlSyntaxErrorNamesTheLine() {
    String message =
        problemsOf(
            """
            pipeline: ner
            version: 1
              steps: []
            """);

    assertThat(message)
        .isEqualTo("ner.yaml: YAML error at line 3, column 8: mapping values are not allowed here");
  }

  @Test
  void anUnclosedListIsASyntaxErrorWithItsLine() {
    assertThat(problemsOf("pipeline: ner\nversion: [1, 2\nsteps: []\n"))
        .startsWith("ner.yaml: YAML error at line 3")
        .doesNotContain("\n");
  }

  @Test
  void aDuplicateKeyIsAnErrorWithItsLine() {
    assertThat(problemsOf("pipeline: ner\nversion: 1\nversion: 2\n" + STEPS))
        .isEqualTo("ner.yaml: YAML error at line 3, column 8: duplicate key 'version'");
  }

  @Test
  void aDuplicateKeyInsideAStepIsAnErrorToo() {
    assertThat(
            problemsOf(
                """
                pipeline: ner
                version: 1
                steps:
                  - name: a
                    kind: java
                    class: x.A
                    batch: 1
                    batch: 2
                """))
        .startsWith("ner.yaml: YAML error at line 8")
        .contains("duplicate key 'batch'");
  }

  @Test
  void anEmptyFileIsAnError() {
    assertThat(problemsOf("# nothing here\n")).isEqualTo("ner.yaml: the file is empty");
    assertThat(problemsOf("")).isEqualTo("ner.yaml: the file is empty");
  }

  @Test
  void aTopLevelListIsAnError() {
    assertThat(problemsOf("- pipeline: ner\n"))
        .isEqualTo(
            "ner.yaml: the top level must be a mapping (pipeline: ..., steps: ...), was a list");
  }

  @Test
  void twoDocumentsInOneFileAreAnError() {
    assertThat(problemsOf("pipeline: a\nversion: 1\n" + STEPS + "---\npipeline: b\n"))
        .isEqualTo(
            "ner.yaml: more than one YAML document (one file holds one pipeline),"
                + " the second at line 6");
  }

  @Test
  void yamlAliasesAreRefusedRatherThanMisread() {
    assertThat(
            problemsOf(
                """
                pipeline: ner
                version: 1
                defaults: &d {batch: 5}
                steps:
                  - {name: a, kind: java, class: x.A, retry: *d}
                """))
        .isEqualTo("ner.yaml: YAML aliases are not supported: '*d' at line 5");
  }

  @Test
  void anUnknownTopLevelKeyIsAnErrorListingTheKnownKeys() {
    assertThat(problemsOf("pipeline: ner\nversion: 1\nstepz: []\n" + STEPS))
        .isEqualTo(
            "ner.yaml: unknown key 'stepz' (known: pipeline, version, split, max_in_flight,"
                + " stuck_after, max_redrives, cleanup, resources, defaults, steps)");
  }

  @Test
  void everyMissingRequiredKeyIsReportedOnItsOwnLine() {
    assertThat(problemsOf("split: {mode: none}\n"))
        .isEqualTo(
            """
            ner.yaml: missing required key 'pipeline'
            ner.yaml: missing required key 'version'
            ner.yaml: missing required key 'steps'\
            """);
  }

  @Test
  void problemsFromAllOverTheFileAreReportedTogether() {
    var e =
        catchThrowableOfType(
            PipelineException.class,
            () ->
                PipelineLoader.parse(
                    """
                    pipeline: NER
                    version: 0
                    max_redrives: -1
                    steps:
                      - {name: a, kind: java, class: x.A, batch: many}
                      - {name: b, kind: java, class: x.B, after: [a, c]}
                    """,
                    "ner.yaml"));

    assertThat(e.problems())
        .containsExactly(
            "ner.yaml: bad pipeline name 'NER' (use [a-z][a-z0-9_-]{0,62})",
            "ner.yaml: 'version' must be an integer >= 1, was 0",
            "ner.yaml: 'max_redrives' must be an integer >= 0, was -1",
            "ner.yaml: step 'a': 'batch' must be an integer from 1 to 100000, was 'many'",
            "ner.yaml: step 'b': unknown predecessor 'c'");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          version: many           | 'version' must be an integer >= 1, was 'many'
          version: 1.5            | 'version' must be an integer >= 1, was 1.5
          version: 99999999999    | 'version' must be an integer >= 1, was 99999999999
          max_in_flight: 0        | 'max_in_flight' must be an integer >= 1, was 0
          stuck_after: 0s         | bad duration for 'stuck_after': '0s' (must be more than zero)
          stuck_after: 10         | bad duration for 'stuck_after': 10 (use e.g. 500ms, 1s, 5m, PT30S)
          split: text             | 'split' must be a mapping, was 'text'
          split: {mode: words}    | 'split.mode' must be one of none, text, was 'words'
          split: {mode: text, max_chars: 10} | 'split.max_chars' must be an integer >= 50, was 10
          split: {mode: text, field: ''}     | 'split.field' must be a non-empty string, was ''
          split: {mode: text, fields: x}     | unknown key 'split.fields' (known: mode, field, max_chars)
          split: {max_chars: 500}            | 'split.max_chars' applies only to split mode text (add 'mode: text')
          split: {mode: none, field: body}   | 'split.field' applies only to split mode text (add 'mode: text')
          cleanup: {mode: sometimes}         | 'cleanup.mode' must be one of auto, force, off, was 'sometimes'
          cleanup: {tolerance: 1.5}          | 'cleanup.tolerance' must be a number from 0.0 to 1.0, was 1.5
          cleanup: {tolerance: '10%'}        | 'cleanup.tolerance' must be a number from 0.0 to 1.0, was '10%'
          cleanup: {grace: forever}          | bad duration for 'cleanup.grace': 'forever' (use e.g. 500ms, 1s, 5m, PT30S)
          cleanup: {graze: 1s}               | unknown key 'cleanup.graze' (known: mode, tolerance, grace)
          resources: [a.txt]                 | 'resources' must be a mapping, was a list
          resources: {First: a.txt}          | bad resource name 'First' (use [a-z][a-z0-9_-]{0,62})
          resources: {first: 5}              | 'resources.first' must be a non-empty string, was 5
          defaults: {name: x}                | unknown key 'defaults.name' (known: batch, batch_wait, offset, slice, shards, workers, retry, timeout)
          defaults: {offset: 5 minutes}      | bad duration for 'defaults.offset': '5 minutes' (use e.g. 500ms, 1s, 5m, PT30S)
          defaults: {retry: {attempts: 0}}   | 'defaults.retry.attempts' must be an integer >= 1, was 0
          steps: {a: 1}                      | 'steps' must be a list of steps, was a mapping
          """)
  void aBadPipelineLevelValueIsReportedByKey(String line, String problem) {
    String yaml = "pipeline: ner\n" + (line.startsWith("version") ? "" : "version: 1\n") + line;
    if (!line.startsWith("steps")) {
      yaml += "\n" + STEPS;
    }

    assertThat(problemsOf(yaml)).isEqualTo("ner.yaml: " + problem);
  }

  @Test
  void anEmptyStepListIsAnError() {
    assertThat(problemsOf("pipeline: ner\nversion: 1\nsteps: []\n"))
        .isEqualTo("ner.yaml: 'steps' must not be empty");
  }

  @Test
  void retryBackoffAboveItsMaximumInDefaultsIsReportedOnce() {
    assertThat(
            problemsOf(
                "pipeline: ner\nversion: 1\ndefaults: {retry: {backoff: 10m}}\n"
                    + "steps:\n"
                    + "  - {name: a, kind: java, class: x.A}\n"
                    + "  - {name: b, kind: java, class: x.B}\n"))
        .isEqualTo(
            "ner.yaml: 'defaults.retry.backoff' (10m) must not exceed"
                + " 'defaults.retry.max_backoff' (5m)");
  }
}
