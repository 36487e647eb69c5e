package dev.conveyor.steps.ner;

import java.util.Arrays;

/**
 * Character classes over Unicode code points, as the recognisers use them. Offsets are code points
 * (not UTF-16 units), so the recognisers work on {@code int[]} code point arrays throughout. {@code
 * deploy/pipelines/steps/person.py} defines the same classes by Unicode general category.
 */
final class CodePoints {
  private CodePoints() {}

  /** Lu, Ll, Lt, Lm, Lo. */
  static boolean isLetter(int cp) {
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER,
          Character.LOWERCASE_LETTER,
          Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER,
          Character.OTHER_LETTER ->
          true;
      default -> false;
    };
  }

  /** Mn, Mc, Me: combining marks, part of the letter before them. */
  static boolean isMark(int cp) {
    return switch (Character.getType(cp)) {
      case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK ->
          true;
      default -> false;
    };
  }

  /** Nd. */
  static boolean isDigit(int cp) {
    return Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER;
  }

  /** Lu or Lt: a capital. */
  static boolean isCapital(int cp) {
    int type = Character.getType(cp);
    return type == Character.UPPERCASE_LETTER || type == Character.TITLECASE_LETTER;
  }

  /** Ll. */
  static boolean isLower(int cp) {
    return Character.getType(cp) == Character.LOWERCASE_LETTER;
  }

  /** Space within a line: never a line break, so that no name runs across lines. */
  static boolean isLineSpace(int cp) {
    return cp == ' '
        || cp == '\t'
        || cp == 0x00A0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /** Whether every code point in {@code [from, to)} is line space, and there is at least one. */
  static boolean isLineSpaceGap(int[] cps, int from, int to) {
    if (from >= to) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (!isLineSpace(cps[i])) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code cps} holds {@code word} at {@code at}. */
  static boolean startsWith(int[] cps, int at, int[] word) {
    return at + word.length <= cps.length
        && Arrays.equals(cps, at, at + word.length, word, 0, word.length);
  }

  static String text(int[] cps, int from, int to) {
    return new String(cps, from, to - from);
  }
}
