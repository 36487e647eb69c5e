package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An HTTP request as a {@link Handler} sees it; immutable.
 *
 * @param method upper-case method, e.g. {@code GET}
 * @param path the decoded path, e.g. {@code /tasks/doc-42}
 * @param wildcard the part of the path matched by a route's trailing {@code /*} ({@code doc-42} for
 *     {@code GET /tasks/*}); empty for exact routes
 * @param query decoded query parameters; the first value wins when a name repeats
 * @param headers request headers; lookups ignore the case of the name
 * @param body the request body, empty when there is none
 */
public record HttpRequest(
    String method,
    String path,
    String wildcard,
    Map<String, String> query,
    Map<String, List<String>> headers,
    byte[] body) {

  public HttpRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(wildcard, "wildcard");
    query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
    headers = caseInsensitiveCopy(headers);
    body = body.clone();
  }

  /** A copy of the body. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8. */
  public String bodyAsString() {
    return new String(body, UTF_8);
  }

  /** The first value of a header, whatever the case of {@code name}. */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
  }

  /** A query parameter's value; {@code ""} for a bare {@code ?name}. */
  public Optional<String> queryParam(String name) {
    return Optional.ofNullable(query.get(name));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof HttpRequest that
        && method.equals(that.method)
        && path.equals(that.path)
        && wildcard.equals(that.wildcard)
        && query.equals(that.query)
        && headers.equals(that.headers)
        && Arrays.equals(body, that.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, path, wildcard, query, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "HttpRequest[" + method + " " + path + ", body=" + body.length + " bytes]";
  }

  private static Map<String, List<String>> caseInsensitiveCopy(Map<String, List<String>> headers) {
    var copy = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, values) -> {
      if (name != null) {
        copy.computeIfAbsent(name, n -> new ArrayList<>()).addAll(values);
      }
    });
    copy.replaceAll((name, values) -> List.copyOf(values));
    return Collections.unmodifiableSortedMap(copy);
  }
}
