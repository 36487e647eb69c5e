package dev.conveyor.runtime.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deep, order-keeping, unmodifiable copies of free-form option trees (maps, lists and scalars).
 * Unlike {@link Map#copyOf} these keep {@code null} values, which YAML allows ({@code key: ~}).
 */
final class ImmutableValues {
  private ImmutableValues() {}

  static Map<String, Object> copyOf(Map<String, ?> map) {
    var copy = new LinkedHashMap<String, Object>();
    map.forEach((k, v) -> copy.put(k, copyValue(v)));
    return Collections.unmodifiableMap(copy);
  }

  private static Object copyValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      var copy = new LinkedHashMap<String, Object>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), copyValue(v)));
      return Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> list) {
      var copy = new ArrayList<Object>(list.size());
      list.forEach(v -> copy.add(copyValue(v)));
      return Collections.unmodifiableList(copy);
    }
    return value;
  }
}
