package dev.conveyor.steps.ner;

import static dev.conveyor.steps.ner.CodePoints.isDigit;
import static dev.conveyor.steps.ner.CodePoints.startsWith;

/**
 * The company rule of Chinese and Japanese ({@link CompanyWords#CJK_FORMS}, written without
 * spaces): the name is the run of Han, Katakana and Latin letters and digits right before the form,
 * at most {@value #MAX_RUN} characters, cut after the last particle or pronoun ({@link
 * CompanyWords#CJK_STOP_CHARS}) and after a date ("2023年"), then stripped of leading time words and
 * verbs ({@link CompanyWords#CJK_LEADING_WORDS}). 株式会社, 有限会社 and 合同会社 may also come first: when
 * nothing is left before them, the name is the run after them ("株式会社東芝").
 */
final class CjkCompanies {
  static final int MAX_RUN = 16;

  private CjkCompanies() {}

  /**
   * The company around the form at {@code [formStart, formEnd)}, as {@code [start, end)}, or null;
   * it starts at {@code limit} or later.
   *
   * @param prefix whether the form may also come first ("株式会社東芝")
   */
  static int[] around(int[] cps, int formStart, int formEnd, boolean prefix, int limit) {
    int q = formStart;
    while (q > limit && formStart - q < MAX_RUN && isCjkNameChar(cps[q - 1])) {
      q--;
    }
    for (int j = formStart - 1; j >= q; j--) {
      boolean date =
          (cps[j] == '年' || cps[j] == '月' || cps[j] == '日' || cps[j] == '号')
              && j > q
              && isAnyDigit(cps[j - 1]);
      if (CompanyWords.CJK_STOP_CHARS.contains(cps[j]) || date) {
        q = j + 1;
        break;
      }
    }
    q = stripLeadingWords(cps, q, formStart);
    if (q < formStart) {
      return new int[] {q, formEnd};
    }
    if (!prefix) {
      return null;
    }
    int r = formEnd;
    while (r < cps.length
        && r - formEnd < MAX_RUN
        && isCjkNameChar(cps[r])
        && !CompanyWords.CJK_STOP_CHARS.contains(cps[r])) {
      r++;
    }
    return r > formEnd ? new int[] {formStart, r} : null;
  }

  private static int stripLeadingWords(int[] cps, int from, int to) {
    int q = from;
    boolean stripped = true;
    while (stripped) {
      stripped = false;
      for (int[] word : CompanyWords.CJK_LEADING_WORDS) {
        if (q + word.length <= to && startsWith(cps, q, word)) {
          q += word.length;
          stripped = true;
          break;
        }
      }
    }
    return q;
  }

  private static boolean isCjkNameChar(int cp) {
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script == Character.UnicodeScript.HAN
        || script == Character.UnicodeScript.KATAKANA
        || cp == 0x30FC // ー, the long vowel mark of Katakana words
        || cp == 0x30FB // ・, between the words of a Katakana name
        || cp == 0x3005 // 々, the iteration mark
        || (cp < 0x80 && Character.isLetterOrDigit(cp))
        || (cp >= 0xFF10 && cp <= 0xFF19)
        || (cp >= 0xFF21 && cp <= 0xFF3A)
        || (cp >= 0xFF41 && cp <= 0xFF5A);
  }

  private static boolean isAnyDigit(int cp) {
    return isDigit(cp) || "〇一二三四五六七八九十".indexOf(cp) >= 0;
  }
}
