package dev.conveyor.common.http;

import java.util.Locale;
import java.util.Objects;

/**
 * A method and a path pattern bound to a handler. The pattern is an exact path ({@code /health}) or
 * a prefix ending in {@code /*} ({@code /tasks/*} matches {@code /tasks/doc-42}).
 */
record Route(String method, String pattern, Handler handler, boolean requiresAdmin) {

  Route {
    Objects.requireNonNull(handler, "handler");
    if (method == null || !method.matches("[A-Za-z]+")) {
      throw new IllegalArgumentException("HTTP method must be letters only, was " + method);
    }
    method = method.toUpperCase(Locale.ROOT);
    if (pattern == null || !pattern.startsWith("/")) {
      throw new IllegalArgumentException("path must start with /, was " + pattern);
    }
    int star = pattern.indexOf('*');
    if (star >= 0 && (star != pattern.length() - 1 || !pattern.endsWith("/*"))) {
      throw new IllegalArgumentException("* may only end a path as /*, was " + pattern);
    }
  }

  boolean matches(String path) {
    return isPrefix() ? path.startsWith(prefix()) : path.equals(pattern);
  }

  /** The part of {@code path} after the prefix; empty for an exact route. */
  String wildcard(String path) {
    return isPrefix() ? path.substring(prefix().length()) : "";
  }

  /** Higher wins: an exact path over any prefix, a longer prefix over a shorter one. */
  int specificity() {
    return isPrefix() ? prefix().length() : Integer.MAX_VALUE;
  }

  private boolean isPrefix() {
    return pattern.endsWith("/*");
  }

  private String prefix() {
    return pattern.substring(0, pattern.length() - 1);
  }
}
