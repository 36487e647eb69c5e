package dev.conveyor.steps.ner;

import static dev.conveyor.steps.ner.CodePoints.isCapital;
import static dev.conveyor.steps.ner.CodePoints.isDigit;
import static dev.conveyor.steps.ner.CodePoints.isLetter;
import static dev.conveyor.steps.ner.CodePoints.isLineSpace;
import static dev.conveyor.steps.ner.CodePoints.isLower;
import static dev.conveyor.steps.ner.CodePoints.isMark;

import dev.conveyor.steps.ner.CompanyWords.CjkForm;
import dev.conveyor.steps.ner.CompanyWords.LatinForm;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Finds company names: a name followed by a legal form, found by looking for the form first and
 * then walking left over the name.
 *
 * <p>Latin script ({@link CompanyWords#LATIN_FORMS}): the form stands after a space (or after ", "
 * for most forms) and is not followed by a letter or digit. The name is one to eight words before
 * it, separated by spaces within the line: capitalised words (with digits, hyphens, apostrophes,
 * {@code &} and dots inside: "3M", "Coca-Cola", "McDonald's", "AT&T", "Amazon.com"), initials
 * ("A.B.", "J."), words starting with a digit ("7-Eleven"), lowercase words with a capital inside
 * ("eBay"), and numbers and lowercase connectors ({@code &}, {@code and}, {@code of}, {@code de},
 * ...) inside. Any other word, punctuation, a line break or the end of an earlier company ends the
 * walk. Then the front is trimmed: words of {@link CompanyWords#LEADING_STOPS} (The, Yesterday, In,
 * Der, Le, ...), connectors and numbers. What is left must hold a name word; a connector may only
 * touch the form when it is "&" or "and" before a form starting with "Co" ("Smith & Co.", "Smith
 * and Company"). A word form (Company, Limited, ...) followed by a capitalised word is no form
 * ("Acme Company Store").
 *
 * <p>Chinese and Japanese ({@link CompanyWords#CJK_FORMS}, written without spaces): the name is the
 * run of Han, Katakana and Latin letters and digits right before the form, at most {@value
 * #MAX_CJK_RUN} characters, cut after the last particle or pronoun ({@link
 * CompanyWords#CJK_STOP_CHARS}) and after a date ("2023年"), then stripped of leading time words and
 * verbs. 株式会社, 有限会社 and 合同会社 may also come first: when nothing is left before them, the name is the
 * run after them ("株式会社東芝").
 *
 * <p>Stateless and thread-safe.
 */
final class CompanyRules {
  static final int MAX_NAME_WORDS = 8;
  static final int MAX_CJK_RUN = 16;

  private CompanyRules() {}

  private enum Role {
    NAME,
    CONNECTOR,
    NUMBER,
    STOP
  }

  private record Word(int start, int end, String text, Role role) {}

  /** The companies in {@code text}, offsets shifted by {@code offset}, in text order. */
  static List<Entity> find(String text, int offset) {
    int[] cps = text.codePoints().toArray();
    Word[] endingAt = wordsByEnd(cps);
    List<Entity> found = new ArrayList<>();
    int limit = 0;
    int i = 0;
    while (i < cps.length) {
      int[] span = companyAt(cps, i, limit, endingAt);
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

  /** The company whose form starts at {@code i}, as {@code [start, end)}, or null. */
  private static int[] companyAt(int[] cps, int i, int limit, Word[] endingAt) {
    for (CjkForm form : CompanyWords.CJK_FORMS) {
      if (matches(cps, i, form.codePoints())) {
        int[] span = cjkCompany(cps, i, i + form.codePoints().length, form.prefix(), limit);
        if (span != null) {
          return span;
        }
      }
    }
    if (i == 0 || !isLineSpace(cps[i - 1])) {
      return null;
    }
    for (LatinForm form : CompanyWords.LATIN_FORMS) {
      int end = i + form.codePoints().length;
      if (!matches(cps, i, form.codePoints()) || !endsForm(cps, end, form)) {
        continue;
      }
      int start = nameStart(cps, i, form, limit, endingAt);
      return start < 0 ? null : new int[] {start, end};
    }
    return null;
  }

  private static boolean matches(int[] cps, int at, int[] form) {
    return at + form.length <= cps.length
        && Arrays.equals(cps, at, at + form.length, form, 0, form.length);
  }

  /** Whether the form may end at {@code end}: not inside a word, not before a longer name. */
  private static boolean endsForm(int[] cps, int end, LatinForm form) {
    int n = cps.length;
    if (end == n) {
      return true;
    }
    int next = cps[end];
    if (isWordPart(next)) {
      return false;
    }
    int[] f = form.codePoints();
    if (isLetter(f[f.length - 1])) {
      if (next == '-' || next == '&' || next == '/' || next == '_' || next == '@') {
        return false;
      }
      boolean letterAfter = end + 1 < n && isWordStart(cps[end + 1]);
      if (next == '.' && letterAfter) {
        return false;
      }
      if ((next == '\'' || next == '\u2019') && letterAfter && !isPossessive(cps, end)) {
        return false;
      }
    }
    if (form.word()) {
      int j = end;
      while (j < n && isLineSpace(cps[j])) {
        j++;
      }
      if (j > end && j < n && isCapital(cps[j])) {
        return false;
      }
    }
    return true;
  }

  /** Where the name before the form at {@code formStart} starts, or -1 if there is none. */
  private static int nameStart(
      int[] cps, int formStart, LatinForm form, int limit, Word[] endingAt) {
    int edge;
    if (form.comma()
        && formStart - 2 >= limit
        && cps[formStart - 1] == ' '
        && cps[formStart - 2] == ',') {
      edge = formStart - 2;
    } else {
      edge = spacesBefore(cps, formStart, limit);
      if (edge == formStart) {
        return -1;
      }
    }
    Deque<Word> name = new ArrayDeque<>();
    Word word = endingAt[edge];
    while (word != null && word.start() >= limit && name.size() < MAX_NAME_WORDS) {
      if (word.role() == Role.STOP) {
        break;
      }
      name.addFirst(word);
      int gapStart = spacesBefore(cps, word.start(), limit);
      if (gapStart == word.start()) {
        break;
      }
      word = endingAt[gapStart];
    }
    while (!name.isEmpty()
        && (name.getFirst().role() != Role.NAME
            || CompanyWords.LEADING_STOPS.contains(name.getFirst().text()))) {
      name.removeFirst();
    }
    if (name.isEmpty()) {
      return -1;
    }
    Word last = name.getLast();
    if (last.role() == Role.CONNECTOR
        && !(form.afterAnd() && (last.text().equals("&") || last.text().equals("and")))) {
      return -1;
    }
    return name.getFirst().start();
  }

  private static int spacesBefore(int[] cps, int at, int limit) {
    int j = at;
    while (j > limit && isLineSpace(cps[j - 1])) {
      j--;
    }
    return j;
  }

  /** The words of the text, each stored at its end index (one past its last code point). */
  private static Word[] wordsByEnd(int[] cps) {
    int n = cps.length;
    Word[] byEnd = new Word[n + 1];
    int i = 0;
    while (i < n) {
      int start = i;
      if (cps[i] == '&') {
        i++;
        byEnd[i] = new Word(start, i, "&", Role.CONNECTOR);
        continue;
      }
      if (!isWordStart(cps[i])) {
        i++;
        continue;
      }
      i++;
      while (true) {
        while (i < n && isWordPart(cps[i])) {
          i++;
        }
        if (i + 1 < n && isJoiner(cps[i]) && isWordStart(cps[i + 1])) {
          i++;
          continue;
        }
        break;
      }
      if (i < n && cps[i] == '.' && isInitials(cps, start, i)) {
        i++;
      }
      String text = CodePoints.text(cps, start, i);
      byEnd[i] = new Word(start, i, text, role(cps, start, i, text));
    }
    return byEnd;
  }

  private static Role role(int[] cps, int start, int end, String text) {
    int first = cps[start];
    if (isDigit(first)) {
      for (int j = start; j < end; j++) {
        if (isLetter(cps[j])) {
          return Role.NAME;
        }
      }
      return Role.NUMBER;
    }
    if (isCapital(first)) {
      boolean elidedArticle =
          end - start >= 3
              && (first == 'L' || first == 'D')
              && (cps[start + 1] == '\'' || cps[start + 1] == '\u2019')
              && isLower(cps[start + 2]);
      return elidedArticle ? Role.STOP : Role.NAME;
    }
    if (isLower(first)) {
      if (CompanyWords.CONNECTORS.contains(text)) {
        return Role.CONNECTOR;
      }
      for (int j = start + 1; j < end; j++) {
        if (isCapital(cps[j])) {
          return Role.NAME;
        }
      }
    }
    return Role.STOP;
  }

  /** "J", "J.P", "U.S.A": single capitals joined by dots. */
  private static boolean isInitials(int[] cps, int start, int end) {
    for (int j = start; j < end; j++) {
      boolean letterPlace = (j - start) % 2 == 0;
      if (letterPlace ? !isCapital(cps[j]) : cps[j] != '.') {
        return false;
      }
    }
    return (end - start) % 2 == 1;
  }

  private static int[] cjkCompany(
      int[] cps, int formStart, int formEnd, boolean prefix, int limit) {
    int q = formStart;
    while (q > limit && formStart - q < MAX_CJK_RUN && isCjkNameChar(cps[q - 1])) {
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
        && r - formEnd < MAX_CJK_RUN
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
        if (q + word.length <= to && matches(cps, q, word)) {
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

  private static boolean isWordStart(int cp) {
    return isLetter(cp) || isDigit(cp);
  }

  private static boolean isWordPart(int cp) {
    return isLetter(cp) || isMark(cp) || isDigit(cp);
  }

  private static boolean isJoiner(int cp) {
    return cp == '-' || cp == '\'' || cp == '\u2019' || cp == '&' || cp == '.' || cp == '\u2010';
  }

  private static boolean isPossessive(int[] cps, int i) {
    return (cps[i] == '\'' || cps[i] == '\u2019')
        && i + 1 < cps.length
        && cps[i + 1] == 's'
        && (i + 2 == cps.length || !isWordPart(cps[i + 2]));
  }
}
