package dev.conveyor.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The first thing in a JSON tree that PostgreSQL cannot store in {@code jsonb} or {@code text}: the
 * character U+0000 (as {@code \u0000} in a string or a key), a surrogate without its pair ({@code
 * \ud800} alone), or a number outside {@code numeric}'s range (more than 131,072 digits before the
 * decimal point or 16,383 after it; NaN and infinities). Control characters other than U+0000, and
 * the noncharacters U+FFFE and U+FFFF, are storable.
 *
 * @param kind what it is
 * @param path where it is, as a JSON path: {@code $.text}, {@code $.rows[2]["a b"]}
 */
public record UnstorableContent(Kind kind, String path) {
  /** Digits before the decimal point PostgreSQL's numeric holds. */
  public static final int MAX_NUMERIC_INTEGER_DIGITS = 131_072;

  /** Digits after the decimal point PostgreSQL's numeric holds. */
  public static final int MAX_NUMERIC_SCALE = 16_383;

  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final int MAX_PATH_CHARS = 300;
  private static final int MAX_NAME_SHOWN = 64;

  /** What PostgreSQL cannot hold. */
  public enum Kind {
    NUL("U+0000"),
    LONE_SURROGATE("a lone surrogate"),
    NUMBER_OUT_OF_RANGE("a number beyond PostgreSQL numeric's range");

    private final String text;

    Kind(String text) {
      this.text = text;
    }
  }

  /** E.g. {@code U+0000 at $.text}. */
  public String describe() {
    return kind.text + " at " + path;
  }

  /** The first unstorable thing in document order, or empty when PostgreSQL can store it all. */
  public static Optional<UnstorableContent> find(JsonNode tree) {
    return Optional.ofNullable(scan(tree, "$"));
  }

  /** Whether PostgreSQL's numeric takes the number. */
  public static boolean fitsNumeric(BigDecimal n) {
    if (n.scale() > MAX_NUMERIC_SCALE) {
      return false;
    }
    return n.signum() == 0 || n.precision() - n.scale() <= MAX_NUMERIC_INTEGER_DIGITS;
  }

  /** Index of the first U+0000 or lone surrogate in {@code s}, or -1. */
  static int firstUnstorableChar(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return i;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private static UnstorableContent scan(JsonNode node, String path) {
    if (node.isTextual()) {
      return text(node.textValue(), path);
    }
    if (node.isNumber()) {
      return fits(node) ? null : new UnstorableContent(Kind.NUMBER_OUT_OF_RANGE, path);
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        UnstorableContent found = scan(node.get(i), cap(path + "[" + i + "]"));
        if (found != null) {
          return found;
        }
      }
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> member : node.properties()) {
        String memberPath = cap(path + member(member.getKey()));
        UnstorableContent name = text(member.getKey(), memberPath);
        if (name != null) {
          return name;
        }
        UnstorableContent found = scan(member.getValue(), memberPath);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static UnstorableContent text(String s, String path) {
    int i = firstUnstorableChar(s);
    if (i < 0) {
      return null;
    }
    return new UnstorableContent(s.charAt(i) == 0 ? Kind.NUL : Kind.LONE_SURROGATE, path);
  }

  private static boolean fits(JsonNode n) {
    if (n.isBigDecimal()) {
      return fitsNumeric(n.decimalValue());
    }
    if (n.isBigInteger()) {
      return fitsNumeric(new BigDecimal(n.bigIntegerValue()));
    }
    if (n.isDouble() || n.isFloat()) {
      return Double.isFinite(n.doubleValue());
    }
    return true;
  }

  private static String member(String name) {
    if (PLAIN_NAME.matcher(name).matches()) {
      return "." + name;
    }
    return "[\"" + SafeText.quoted(SafeText.cut(name, MAX_NAME_SHOWN)) + "\"]";
  }

  private static String cap(String path) {
    return SafeText.cut(path, MAX_PATH_CHARS);
  }
}
