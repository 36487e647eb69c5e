package dev.conveyor.runtime.console;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.URLEncoder;

/**
 * The one escaping helper of the console: every value a page shows (task ids, reasons, errors,
 * payloads, node names) goes through {@link #esc} whether it lands in text or in an attribute.
 */
final class Html {
  private Html() {}

  /** {@code value}'s text with {@code & < > " '} escaped; {@code ""} for null. */
  static String esc(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** {@code value} encoded for a URL's path segment or query value (then escaped for HTML). */
  static String url(String value) {
    return esc(URLEncoder.encode(value == null ? "" : value, UTF_8).replace("+", "%20"));
  }
}
