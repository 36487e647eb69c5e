package dev.conveyor.steps.ner;

import static dev.conveyor.steps.ner.CodePoints.isLineSpace;
import static dev.conveyor.steps.ner.CodePoints.startsWith;

import dev.conveyor.steps.ner.CompanyWords.CjkForm;
import dev.conveyor.steps.ner.CompanyWords.LatinForm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds company names: a name followed by a legal form, found by looking for the form first and
 * then walking left over the name. Latin script ({@link CompanyWords#LATIN_FORMS}: "Acme Widgets
 * Ltd.") follows {@link LatinCompanies}; Chinese and Japanese ({@link CompanyWords#CJK_FORMS},
 * written without spaces: "東芝株式会社") follow {@link CjkCompanies}. A company found ends where the
 * next may start: names never overlap.
 *
 * <p>Stateless and thread-safe.
 */
final class CompanyRules {
  // why: the forms that may start at a code point, in their list order (longest first): trying
  // every form at every code point was a third of the ner pipeline's processor time
  private static final Map<Integer, List<CjkForm>> CJK_BY_FIRST =
      byFirst(CompanyWords.CJK_FORMS, CjkForm::codePoints);
  private static final Map<Integer, List<LatinForm>> LATIN_BY_FIRST =
      byFirst(CompanyWords.LATIN_FORMS, LatinForm::codePoints);

  private CompanyRules() {}

  private static <F> Map<Integer, List<F>> byFirst(List<F> forms, Function<F, int[]> codePoints) {
    Map<Integer, List<F>> index = new HashMap<>();
    for (F form : forms) {
      index.computeIfAbsent(codePoints.apply(form)[0], k -> new ArrayList<>()).add(form);
    }
    index.replaceAll((k, v) -> List.copyOf(v));
    return Map.copyOf(index);
  }

  /** The companies in {@code text}, offsets shifted by {@code offset}, in text order. */
  static List<Entity> find(String text, int offset) {
    int[] cps = text.codePoints().toArray();
    LatinCompanies latin = new LatinCompanies(cps);
    List<Entity> found = new ArrayList<>();
    int limit = 0;
    int i = 0;
    while (i < cps.length) {
      int[] span = companyAt(cps, i, limit, latin);
      if (span == null) {
        i++;
        continue;
      }
      found.add(
          new Entity(
              Entity.COMPANY,
              CodePoints.text(cps, span[0], span[1]),
              offset + span[0],
              offset + span[1]));
      limit = span[1];
      i = span[1];
    }
    return found;
  }

  /**
   * The company whose form starts at {@code i}, as {@code [start, end)}, or null; it starts at
   * {@code limit} or later.
   */
  private static int[] companyAt(int[] cps, int i, int limit, LatinCompanies latin) {
    for (CjkForm form : CJK_BY_FIRST.getOrDefault(cps[i], List.of())) {
      if (startsWith(cps, i, form.codePoints())) {
        int[] span =
            CjkCompanies.around(cps, i, i + form.codePoints().length, form.prefix(), limit);
        if (span != null) {
          return span;
        }
      }
    }
    if (i == 0 || !isLineSpace(cps[i - 1])) {
      return null;
    }
    for (LatinForm form : LATIN_BY_FIRST.getOrDefault(cps[i], List.of())) {
      int end = i + form.codePoints().length;
      if (!startsWith(cps, i, form.codePoints()) || !latin.endsForm(end, form)) {
        continue;
      }
      int start = latin.nameStart(i, form, limit);
      return start < 0 ? null : new int[] {start, end};
    }
    return null;
  }
}
