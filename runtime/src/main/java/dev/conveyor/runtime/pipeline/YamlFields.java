package dev.conveyor.runtime.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Typed reads from one YAML mapping. A bad value adds one problem line (prefixed with {@code
 * where}, such as {@code "step 'merge': "}, and naming the key by its path, such as {@code
 * 'retry.attempts'}) and reads as empty, so the parser can go on and report every problem at once.
 * A key set to null ({@code key:} or {@code key: ~}) reads as absent.
 */
final class YamlFields {
  private final JsonNode node;
  private final String where;
  private final String path;
  private final List<String> problems;

  YamlFields(JsonNode node, String where, String path, List<String> problems) {
    this.node = node;
    this.where = where;
    this.path = path;
    this.problems = problems;
  }

  /** Adds a problem about this mapping. */
  void problem(String message) {
    problems.add(where + message);
  }

  /** Every problem found so far, here and elsewhere (the shared, mutable list). */
  List<String> problems() {
    return problems;
  }

  /** How many problems have been found so far, here and elsewhere. */
  int problemCount() {
    return problems.size();
  }

  /** The key as problems name it: {@code 'retry.attempts'}. */
  String label(String key) {
    return "'" + path + key + "'";
  }

  boolean has(String key) {
    return node.hasNonNull(key);
  }

  /** Reports every key not in {@code known}. */
  void rejectUnknownKeys(List<String> known) {
    for (String key : keys()) {
      if (!known.contains(key)) {
        problem("unknown key " + label(key) + " (known: " + String.join(", ", known) + ")");
      }
    }
  }

  Optional<JsonNode> value(String key) {
    return has(key) ? Optional.of(node.get(key)) : Optional.empty();
  }

  Optional<String> text(String key) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (!v.get().isTextual() || v.get().textValue().isBlank()) {
      problem(label(key) + " must be a non-empty string, was " + describe(v.get()));
      return Optional.empty();
    }
    return Optional.of(v.get().textValue().strip());
  }

  Optional<String> requiredText(String key) {
    return required(key) ? text(key) : Optional.empty();
  }

  /** An integer from {@code min} to {@code max}. */
  Optional<Integer> integer(String key, int min, int max) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    JsonNode n = v.get();
    if (n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= min && n.intValue() <= max) {
      return Optional.of(n.intValue());
    }
    String range = max == Integer.MAX_VALUE ? ">= " + min : "from " + min + " to " + max;
    problem(label(key) + " must be an integer " + range + ", was " + describe(n));
    return Optional.empty();
  }

  Optional<Integer> requiredInteger(String key, int min, int max) {
    return required(key) ? integer(key, min, max) : Optional.empty();
  }

  /** A number (integer or decimal) from {@code min} to {@code max}. */
  Optional<Double> number(String key, double min, double max) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    JsonNode n = v.get();
    if (n.isNumber() && n.doubleValue() >= min && n.doubleValue() <= max) {
      return Optional.of(n.doubleValue());
    }
    problem(label(key) + " must be a number from " + min + " to " + max + ", was " + describe(n));
    return Optional.empty();
  }

  /** A duration in {@link Durations} syntax; zero only if {@code zeroAllowed}. */
  Optional<Duration> duration(String key, boolean zeroAllowed) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    JsonNode n = v.get();
    Duration d;
    try {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("not text");
      }
      d = Durations.parse(n.textValue());
    } catch (IllegalArgumentException e) {
      problem(
          "bad duration for " + label(key) + ": " + describe(n) + " (" + Durations.EXAMPLES + ")");
      return Optional.empty();
    }
    if (d.isZero() && !zeroAllowed) {
      problem("bad duration for " + label(key) + ": " + describe(n) + " (must be more than zero)");
      return Optional.empty();
    }
    return Optional.of(d);
  }

  /** One of {@code values}, written in lower case. */
  <E extends Enum<E>> Optional<E> choice(String key, E[] values) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (v.get().isTextual()) {
      for (E e : values) {
        if (e.name().toLowerCase(Locale.ROOT).equals(v.get().textValue())) {
          return Optional.of(e);
        }
      }
    }
    String choices =
        Arrays.stream(values)
            .map(e -> e.name().toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(", "));
    problem(label(key) + " must be one of " + choices + ", was " + describe(v.get()));
    return Optional.empty();
  }

  <E extends Enum<E>> Optional<E> requiredChoice(String key, E[] values) {
    return required(key) ? choice(key, values) : Optional.empty();
  }

  /**
   * A list of non-empty strings; a single string is one item, or, with {@code splitWords}, one item
   * per whitespace-separated word. Strings only: YAML would turn {@code 0.50} into {@code 0.5} and
   * {@code yes} into {@code true}, so other scalars must be quoted.
   */
  Optional<List<String>> texts(String key, boolean splitWords) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    JsonNode n = v.get();
    if (n.isTextual()) {
      String s = n.textValue().strip();
      if (s.isEmpty()) {
        problem(label(key) + " must not be blank");
        return Optional.empty();
      }
      return Optional.of(splitWords ? List.of(s.split("\\s+")) : List.of(s));
    }
    if (!n.isArray()) {
      problem(label(key) + " must be a string or a list of strings, was " + describe(n));
      return Optional.empty();
    }
    var items = new ArrayList<String>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode item = n.get(i);
      if (!item.isTextual() || item.textValue().isBlank()) {
        problem(
            label(key)
                + " item "
                + (i + 1)
                + " must be a non-empty string, was "
                + describe(item)
                + (item.isValueNode() && !item.isNull() ? " (quote it)" : ""));
        return Optional.empty();
      }
      items.add(item.textValue().strip());
    }
    return Optional.of(List.copyOf(items));
  }

  /** A nested mapping, read with this mapping's {@code where} and a longer path. */
  Optional<YamlFields> mapping(String key) {
    Optional<JsonNode> v = value(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (!v.get().isObject()) {
      problem(label(key) + " must be a mapping, was " + describe(v.get()));
      return Optional.empty();
    }
    return Optional.of(new YamlFields(v.get(), where, path + key + ".", problems));
  }

  /** The keys of this mapping, in file order. */
  List<String> keys() {
    return node.properties().stream().map(Map.Entry::getKey).toList();
  }

  /**
   * This mapping as plain (mutable) Java values: maps, lists, strings, numbers, booleans, nulls.
   */
  Map<String, Object> toMap() {
    var map = new LinkedHashMap<String, Object>();
    node.properties().forEach(e -> map.put(e.getKey(), toJava(e.getValue())));
    return map;
  }

  private boolean required(String key) {
    if (!has(key)) {
      problem("missing required key " + label(key));
      return false;
    }
    return true;
  }

  private static Object toJava(JsonNode n) {
    if (n.isObject()) {
      var map = new LinkedHashMap<String, Object>();
      n.properties().forEach(e -> map.put(e.getKey(), toJava(e.getValue())));
      return map;
    }
    if (n.isArray()) {
      var list = new ArrayList<Object>(n.size());
      n.forEach(item -> list.add(toJava(item)));
      return list;
    }
    if (n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isNumber()) {
      return n.numberValue();
    }
    return n.asText();
  }

  /** A value as problems show it: strings quoted, containers by kind. */
  static String describe(JsonNode n) {
    if (n.isTextual()) {
      return "'" + n.textValue() + "'";
    }
    if (n.isArray()) {
      return "a list";
    }
    if (n.isObject()) {
      return "a mapping";
    }
    return n.toString();
  }
}
