package dev.conveyor.runtime.pipeline;

import static dev.conveyor.runtime.pipeline.PipelineErrorsTest.problemsOf;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Problems that span steps: names, predecessors, cycles, entry steps, scope, resources. */
class GraphErrorsTest {

  static String withSteps(String steps) {
    return "pipeline: ner\nversion: 1\nresources: {first_names: names.txt}\nsteps:\n" + steps;
  }

  @Test
  void anUnknownPredecessorNamesTheStepAndTheName() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: company, kind: java, class: x.C}
                      - {name: merge, kind: java, class: x.M, after: [compny]}
                    """)))
        .isEqualTo("ner.yaml: step 'merge': unknown predecessor 'compny'");
  }

  @Test
  void joiningPerTaskOutputWithPerPartOutputIsRefused() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: company, kind: java, class: x.C}
                      - {name: assemble, kind: java, class: x.A, after: company, scope: task}
                      - {name: mix, kind: java, class: x.M, after: [assemble, company]}
                    """)))
        .isEqualTo(
            "ner.yaml: step 'mix': joins per-task output (assemble) with per-part output (company)");
  }

  @Test
  void aStepAfterATaskScopeStepRunsPerTask() {
    Pipeline p =
        PipelineLoader.parse(
            withSteps(
                """
                  - {name: company, kind: java, class: x.C}
                  - {name: assemble, kind: java, class: x.A, after: company, scope: task}
                  - {name: deliver, kind: sink, after: assemble, sink: {table: t, key: [task_id]}}
                """),
            "ner.yaml");
    assertThat(p.runsPerTask("company")).isFalse();
    assertThat(p.runsPerTask("assemble")).isTrue();
    assertThat(p.runsPerTask("deliver")).isTrue();
  }

  @Test
  void aCycleIsShownAlongItsEdges() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: start, kind: java, class: x.S}
                      - {name: a, kind: java, class: x.A, after: [start, c]}
                      - {name: b, kind: java, class: x.B, after: a}
                      - {name: c, kind: java, class: x.C, after: b}
                    """)))
        .isEqualTo("ner.yaml: steps form a cycle: a -> b -> c -> a");
  }

  @Test
  void everyStepInACycleMeansThereIsNoEntryStep() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: a, kind: java, class: x.A, after: b}
                      - {name: b, kind: java, class: x.B, after: a}
                    """)))
        .isEqualTo(
            """
            ner.yaml: no entry step (every step has a predecessor)
            ner.yaml: steps form a cycle: a -> b -> a\
            """);
  }

  @Test
  void separateCyclesAreEachReported() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: s, kind: java, class: x.S}
                      - {name: a, kind: java, class: x.A, after: [s, b]}
                      - {name: b, kind: java, class: x.B, after: a}
                      - {name: c, kind: java, class: x.C, after: [s, d]}
                      - {name: d, kind: java, class: x.D, after: c}
                    """)))
        .isEqualTo(
            """
            ner.yaml: steps form a cycle: a -> b -> a
            ner.yaml: steps form a cycle: c -> d -> c\
            """);
  }

  @Test
  void aDuplicateStepNameIsReportedOnce() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: company, kind: java, class: x.C}
                      - {name: company, kind: java, class: x.D}
                      - {name: company, kind: java, class: x.E}
                    """)))
        .isEqualTo("ner.yaml: duplicate step 'company'");
  }

  @Test
  void aStepListingItselfIsAnErrorNotACycle() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: a, kind: java, class: x.A}
                      - {name: b, kind: java, class: x.B, after: [a, b]}
                    """)))
        .isEqualTo("ner.yaml: step 'b': lists itself in 'after'");
  }

  @Test
  void aPredecessorListedTwiceIsAnError() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: a, kind: java, class: x.A}
                      - {name: b, kind: java, class: x.B, after: [a, a]}
                    """)))
        .isEqualTo("ner.yaml: step 'b': predecessor 'a' listed twice in 'after'");
  }

  @Test
  void aTaskScopeEntryStepIsAnError() {
    assertThat(problemsOf(withSteps("  - {name: assemble, kind: java, class: x.A, scope: task}\n")))
        .isEqualTo(
            "ner.yaml: step 'assemble': scope task needs predecessors in 'after'"
                + " (an entry step runs once per part)");
  }

  @Test
  void anUnknownResourceNamesTheKnownOnes() {
    assertThat(
            problemsOf(
                withSteps(
                    "  - {name: person, kind: java, class: x.P, resources: [frist_names]}\n")))
        .isEqualTo("ner.yaml: step 'person': unknown resource 'frist_names' (known: first_names)");
  }

  @Test
  void aResourceWithoutAnyDeclaredIsUnknown() {
    assertThat(
            problemsOf(
                """
                pipeline: ner
                version: 1
                steps:
                  - {name: person, kind: java, class: x.P, resources: first_names}
                """))
        .isEqualTo(
            "ner.yaml: step 'person': unknown resource 'first_names'"
                + " (the pipeline declares no resources)");
  }

  @Test
  void aResourceListedTwiceIsAnError() {
    assertThat(
            problemsOf(
                withSteps(
                    "  - {name: p, kind: java, class: x.P,"
                        + " resources: [first_names, first_names]}\n")))
        .isEqualTo("ner.yaml: step 'p': resource 'first_names' listed twice");
  }

  @Test
  void anUnreadableAfterDoesNotCauseFollowOnGraphProblems() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: a, kind: java, class: x.A}
                      - {name: b, kind: java, class: x.B, after: {a: 1}, scope: task}
                      - {name: c, kind: java, class: x.C, after: [b, nope]}
                    """)))
        .isEqualTo(
            "ner.yaml: step 'b': 'after' must be a string or a list of strings, was a mapping");
  }

  @Test
  void aStepWithOtherProblemsStillTakesPartInGraphChecks() {
    assertThat(
            problemsOf(
                withSteps(
                    """
                      - {name: a, kind: java, class: x.A, batch: 0}
                      - {name: b, kind: java, class: x.B, after: [a, nope]}
                    """)))
        .isEqualTo(
            """
            ner.yaml: step 'a': 'batch' must be an integer from 1 to 100000, was 0
            ner.yaml: step 'b': unknown predecessor 'nope'\
            """);
  }
}
