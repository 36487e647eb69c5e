package dev.conveyor.common.http;

import java.util.Locale;
import java.util.Objects;

/**
 * A method and a path pattern bound to a handler. The pattern is an exact path ({@code /health}) or
 * a prefix ending in {@code /*} ({@code /tasks/*} matches {@code /tasks/doc-42}).
 *
 * @param maxBodyBytes the largest request body the route reads; a larger one is answered 413
 *     unread. By default {@value #DEFAULT_BODY_BYTES} for POST, PUT and PATCH, 0 for other methods
 */
record Route(
    String method, String pattern, Handler handler, boolean requiresAdmin, int maxBodyBytes) {
  /** The body limit of a POST, PUT or PATCH route unless it says otherwise. */
  static final int DEFAULT_BODY_BYTES = 64 << 10;

  Route(String method, String pattern, Handler handler, boolean requiresAdmin) {
    this(method, pattern, handler, requiresAdmin, defaultBodyLimit(method));
  }

  Route {
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("maxBodyBytes must be >= 0, was " + maxBodyBytes);
    }
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

  private static int defaultBodyLimit(String method) {
    return method != null && method.toUpperCase(Locale.ROOT).matches("POST|PUT|PATCH")
        ? DEFAULT_BODY_BYTES
        : 0;
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
