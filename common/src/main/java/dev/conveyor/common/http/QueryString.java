package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.URLDecoder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Decodes a raw query string ({@code a=1&b=x%20y}) into its parameters. */
final class QueryString {
  private QueryString() {}

  /**
   * The parameters in order; the first value wins when a name repeats; {@code ?flag} gives {@code
   * ""}.
   *
   * @throws IllegalArgumentException if a {@code %} escape is malformed
   */
  static Map<String, String> parse(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return Map.of();
    }
    var params = new LinkedHashMap<String, String>();
    for (String part : rawQuery.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String value = eq < 0 ? "" : part.substring(eq + 1);
      params.putIfAbsent(URLDecoder.decode(name, UTF_8), URLDecoder.decode(value, UTF_8));
    }
    return Collections.unmodifiableMap(params);
  }
}
