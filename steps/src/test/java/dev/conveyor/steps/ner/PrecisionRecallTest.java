package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Precision and recall of the recognisers over every labelled example in {@code ner-examples.txt},
 * known errors included. An entity counts as found only with its exact kind, start and end. "Raw"
 * is one recogniser's own output (so a person inside a company name, which the merge step drops,
 * counts against the person recogniser); "pipeline" is what merge keeps of both, against every
 * label. The floors are the figures measured when the rules were last changed: a change that makes
 * any of them worse fails here.
 */
class PrecisionRecallTest {
  private static final String HELD_OUT =
      "news-like sentences, labelled before the recognisers were run on them";
  private static final PersonRules PERSONS = TestResource.personRules();

  /** True positives, false positives, false negatives. */
  record Score(int tp, int fp, int fn) {
    double precision() {
      return tp + fp == 0 ? 1.0 : (double) tp / (tp + fp);
    }

    double recall() {
      return tp + fn == 0 ? 1.0 : (double) tp / (tp + fn);
    }

    Score plus(Score o) {
      return new Score(tp + o.tp, fp + o.fp, fn + o.fn);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "precision %.3f recall %.3f (tp %d, fp %d, fn %d)",
          precision(),
          recall(),
          tp,
          fp,
          fn);
    }
  }

  static Score score(List<Entity> found, List<Entity> gold) {
    Set<Entity> wanted = new HashSet<>(gold);
    int tp = 0;
    for (Entity e : new HashSet<>(found)) {
      if (wanted.contains(e)) {
        tp++;
      }
    }
    return new Score(tp, new HashSet<>(found).size() - tp, wanted.size() - tp);
  }

  static Score total(
      Predicate<Examples.Example> which,
      Function<Examples.Example, List<Entity>> found,
      Function<Examples.Example, List<Entity>> gold) {
    Score sum = new Score(0, 0, 0);
    for (Examples.Example e : Examples.load().all()) {
      if (which.test(e)) {
        sum = sum.plus(score(found.apply(e), gold.apply(e)));
      }
    }
    return sum;
  }

  static List<Entity> companies(Examples.Example e) {
    return CompanyRules.find(e.text(), e.offset());
  }

  static List<Entity> persons(Examples.Example e) {
    return PERSONS.find(e.text(), e.offset());
  }

  static List<Entity> pipeline(Examples.Example e) {
    List<Entity> all = new ArrayList<>(companies(e));
    all.addAll(persons(e));
    return MergeEntities.merge(all);
  }

  /** Prints the figures (in target/surefire-reports/...PrecisionRecallTest-output.txt). */
  private static Score measured(
      String what,
      Predicate<Examples.Example> which,
      Function<Examples.Example, List<Entity>> found,
      Function<Examples.Example, List<Entity>> gold) {
    Score score = total(which, found, gold);
    System.out.println("precision/recall " + what + ": " + score);
    return score;
  }

  private static void assertAtLeast(Score score, double precision, double recall) {
    assertThat(score.precision()).as("precision, " + score).isGreaterThanOrEqualTo(precision);
    assertThat(score.recall()).as("recall, " + score).isGreaterThanOrEqualTo(recall);
  }

  private static boolean heldOut(Examples.Example e) {
    return e.section().equals(HELD_OUT);
  }

  @Test
  void companyRecognizerStaysAtOrAboveItsMeasuredPrecisionAndRecall() {
    Function<Examples.Example, List<Entity>> gold = e -> e.gold(Entity.COMPANY);

    assertAtLeast(
        measured("company (raw), all examples", e -> true, PrecisionRecallTest::companies, gold),
        0.977,
        0.904);
    assertAtLeast(
        measured(
            "company (raw), held-out",
            PrecisionRecallTest::heldOut,
            PrecisionRecallTest::companies,
            gold),
        0.970,
        0.750);
  }

  @Test
  void personRecognizerStaysAtOrAboveItsMeasuredPrecisionAndRecall() {
    Function<Examples.Example, List<Entity>> gold = e -> e.gold(Entity.PERSON);

    assertAtLeast(
        measured("person (raw), all examples", e -> true, PrecisionRecallTest::persons, gold),
        0.885,
        0.929);
    assertAtLeast(
        measured(
            "person (raw), held-out",
            PrecisionRecallTest::heldOut,
            PrecisionRecallTest::persons,
            gold),
        0.857,
        0.857);
  }

  @Test
  void mergedPipelineOutputStaysAtOrAboveItsMeasuredPrecisionAndRecall() {
    assertAtLeast(
        measured(
            "pipeline (merged), all examples",
            e -> true,
            PrecisionRecallTest::pipeline,
            Examples.Example::gold),
        0.959,
        0.912);
    assertAtLeast(
        measured(
            "pipeline (merged), held-out",
            PrecisionRecallTest::heldOut,
            PrecisionRecallTest::pipeline,
            Examples.Example::gold),
        0.953,
        0.784);
  }

  @Test
  void theHeldOutSectionIsThere() {
    assertThat(Examples.load().all())
        .filteredOn(PrecisionRecallTest::heldOut)
        .hasSizeGreaterThanOrEqualTo(40);
  }
}
