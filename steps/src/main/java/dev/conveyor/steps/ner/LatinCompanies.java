package dev.conveyor.steps.ner;

import static dev.conveyor.steps.ner.CodePoints.isCapital;
import static dev.conveyor.steps.ner.CodePoints.isDigit;
import static dev.conveyor.steps.ner.CodePoints.isLetter;
import static dev.conveyor.steps.ner.CodePoints.isLineSpace;
import static dev.conveyor.steps.ner.CodePoints.isLower;
import static dev.conveyor.steps.ner.CodePoints.isMark;

import dev.conveyor.steps.ner.CompanyWords.LatinForm;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The company rule of Latin script ({@link CompanyWords#LATIN_FORMS}) over one text: the form
 * stands after a space (or after ", " for most forms) and is not followed by a letter or digit. The
 * name is one to eight words before it, separated by spaces within the line: capitalised words
 * (with digits, hyphens, apostrophes, {@code &} and dots inside: "3M", "Coca-Cola", "McDonald's",
 * "AT&T", "Amazon.com"), initials ("A.B.", "J."), words starting with a digit ("7-Eleven"),
 * lowercase words with a capital inside ("eBay"), and numbers and lowercase connectors ({@code &},
 * {@code and}, {@code of}, {@code de}, ...) inside. Any other word, punctuation, a line break or
 * the end of an earlier company ends the walk. Then the front is trimmed: words of {@link
 * CompanyWords#LEADING_STOPS} (The, Yesterday, In, Der, Le, ...), connectors and numbers. What is
 * left must hold a name word; a connector may only touch the form when it is "&" or "and" before a
 * form starting with "Co" ("Smith & Co.", "Smith and Company"). A word form (Company, Limited, ...)
 * followed by a capitalised word is no form ("Acme Company Store").
 *
 * <p>Built once per text: it finds the words first, then answers for each form found.
 */
final class LatinCompanies {
  static final int MAX_NAME_WORDS = 8;

  private enum Role {
    NAME,
    CONNECTOR,
    NUMBER,
    STOP
  }

  private record Word(int start, int end, String text, Role role) {}

  private final int[] cps;
  // why: built on the first name walk, not per part: most parts have no legal form in them
  private Word[] endingAt;

  LatinCompanies(int[] cps) {
    this.cps = cps;
  }

  /** Whether the form may end at {@code end}: not inside a word, not before a longer name. */
  boolean endsForm(int end, LatinForm form) {
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
  int nameStart(int formStart, LatinForm form, int limit) {
    int edge;
    if (form.comma()
        && formStart - 2 >= limit
        && cps[formStart - 1] == ' '
        && cps[formStart - 2] == ',') {
      edge = formStart - 2;
    } else {
      edge = spacesBefore(formStart, limit);
      if (edge == formStart) {
        return -1;
      }
    }
    if (endingAt == null) {
      endingAt = wordsByEnd(cps);
    }
    Deque<Word> name = new ArrayDeque<>();
    Word word = endingAt[edge];
    while (word != null && word.start() >= limit && name.size() < MAX_NAME_WORDS) {
      if (word.role() == Role.STOP) {
        break;
      }
      name.addFirst(word);
      int gapStart = spacesBefore(word.start(), limit);
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

  private int spacesBefore(int at, int limit) {
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
