package dev.conveyor.common.logging;

/**
 * Turns keys, values and messages into text that cannot break a log line: used by the text format
 * ({@link KeyValueConverter}) and for names in the JSON format ({@link JsonLayout}).
 */
public final class Quoting {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Quoting() {}

  /**
   * A value for {@code key=value}: bare when it is non-empty and holds no whitespace, {@code "},
   * {@code =}, {@code \} or control character; otherwise double-quoted with {@code \"}, {@code \\},
   * {@code \n}, {@code \r}, {@code \t} and {@code \}{@code uXXXX} escapes.
   */
  public static String value(String value) {
    if (value == null) {
      return "null";
    }
    if (!value.isEmpty() && value.chars().noneMatch(Quoting::needsQuoting)) {
      return value;
    }
    var out = new StringBuilder(value.length() + 8).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> appendMaybeEscaped(out, c);
      }
    }
    return out.append('"').toString();
  }

  /**
   * A key for {@code key=value}: characters that would need quoting become {@code _}, so a key is
   * always one bare token.
   */
  public static String key(String key) {
    if (key == null || key.isEmpty()) {
      return "_";
    }
    var out = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      out.append(needsQuoting(c) ? '_' : c);
    }
    return out.toString();
  }

  /**
   * A free-text message kept as it is except that line breaks and other control characters (tab
   * excepted) are escaped, so it stays on one line.
   */
  public static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    if (message.chars().noneMatch(c -> c != '\t' && breaksLine(c))) {
      return message;
    }
    var out = new StringBuilder(message.length() + 8);
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append('\t');
        default -> appendMaybeEscaped(out, c);
      }
    }
    return out.toString();
  }

  private static boolean needsQuoting(int c) {
    return c == '"'
        || c == '='
        || c == '\\'
        || Character.isWhitespace(c)
        || Character.isSpaceChar(c)
        || breaksLine(c);
  }

  // why: beyond \n and \r, other control characters (ESC sequences, NEL) and U+2028/U+2029 can
  // break a line or rewrite the terminal of whoever tails the logs.
  private static boolean breaksLine(int c) {
    return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
  }

  private static void appendMaybeEscaped(StringBuilder out, char c) {
    if (!breaksLine(c)) {
      out.append(c);
      return;
    }
    out.append("\\u")
        .append(HEX[(c >> 12) & 0xF])
        .append(HEX[(c >> 8) & 0xF])
        .append(HEX[(c >> 4) & 0xF])
        .append(HEX[c & 0xF]);
  }
}
