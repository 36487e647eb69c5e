package dev.conveyor.common.json;

/**
 * Text made storable in a PostgreSQL {@code text} column and safe on one log line, whatever it
 * holds: U+0000 becomes the six characters <code>&#92;u0000</code> and a lone surrogate its <code>
 * &#92;uXXXX</code> escape (PostgreSQL refuses both), and a long text is cut.
 */
public final class SafeText {
  private static final String ELLIPSIS = "...";

  private SafeText() {}

  /** {@code text} with U+0000 and lone surrogates escaped; null stays null. */
  public static String escaped(String text) {
    if (text == null || UnstorableContent.firstUnstorableChar(text) < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (c == 0 || Character.isSurrogate(c)) {
        out.append(unicodeEscape(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * {@link #escaped} text of at most about {@code maxChars}: a longer one is cut and ends in {@code
   * ... (N chars)}, N its whole length. Null stays null.
   */
  public static String capped(String text, int maxChars) {
    if (text == null) {
      return null;
    }
    String safe = escaped(text);
    if (safe.length() <= maxChars) {
      return safe;
    }
    return cut(safe, maxChars) + " (" + text.length() + " chars)";
  }

  /** The first {@code maxChars} characters and {@code ...}, never half a surrogate pair. */
  public static String cut(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int end = maxChars;
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + ELLIPSIS;
  }

  /**
   * {@code text} as the inside of a JSON string literal: quote, backslash and control characters
   * escaped, and lone surrogates, so that it reads back unambiguously on one line.
   */
  public static String quoted(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append(unicodeEscape(c));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append(unicodeEscape(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * How many bytes {@code text} takes as UTF-8 (a lone surrogate counted as the 1 byte Java
   * writes).
   */
  public static long utf8Length(String text) {
    long n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static String unicodeEscape(char c) {
    return String.format("\\u%04x", (int) c);
  }
}
