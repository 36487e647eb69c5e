package dev.conveyor.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
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
  static int firstUnstorableChar(CharSequence s) {
    int length = s.length();
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (c > 0 && c < Character.MIN_SURROGATE) {
        continue; // why: nearly every character; one range test instead of three
      }
      if (c == 0) {
        return i;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1))) {
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

  // why: the path is built only on the way back from what was found; building it for every node
  // (a string and a name match per member) cost more than the scan itself on clean content
  private static UnstorableContent scan(JsonNode node, String path) {
    Found found = scan(node);
    if (found == null) {
      return null;
    }
    String where = path;
    for (int i = found.steps.size() - 1; i >= 0; i--) {
      Object step = found.steps.get(i);
      where =
          cap(where + (step instanceof Integer index ? "[" + index + "]" : member((String) step)));
    }
    return new UnstorableContent(found.kind, where);
  }

  /** What was found, and the way to it from the node scanned, innermost step first. */
  private record Found(Kind kind, List<Object> steps) {
    Found(Kind kind) {
      this(kind, new ArrayList<>());
    }

    Found via(Object step) {
      steps.add(step);
      return this;
    }
  }

  private static Found scan(JsonNode node) {
    if (node.isTextual()) {
      return text(node.textValue());
    }
    if (node.isNumber()) {
      return fits(node) ? null : new Found(Kind.NUMBER_OUT_OF_RANGE);
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        Found found = scan(node.get(i));
        if (found != null) {
          return found.via(i);
        }
      }
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> member : node.properties()) {
        Found name = text(member.getKey());
        if (name != null) {
          return name.via(member.getKey());
        }
        Found found = scan(member.getValue());
        if (found != null) {
          return found.via(member.getKey());
        }
      }
    }
    return null;
  }

  private static Found text(String s) {
    int i = firstUnstorableChar(s);
    if (i < 0) {
      return null;
    }
    return new Found(s.charAt(i) == 0 ? Kind.NUL : Kind.LONE_SURROGATE);
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
