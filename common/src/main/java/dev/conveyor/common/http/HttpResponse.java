package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Handler} answers; immutable.
 *
 * @param status HTTP status, 200 to 599
 * @param contentType value of the {@code Content-Type} header
 * @param body the body, empty for none
 * @param headers further response headers
 */
public record HttpResponse(
    int status, String contentType, byte[] body, Map<String, String> headers) {
  public static final String JSON = "application/json";
  public static final String TEXT = "text/plain; charset=utf-8";

  public HttpResponse {
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("status must be 200..599, was " + status);
    }
    Objects.requireNonNull(contentType, "contentType");
    body = body.clone();
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    headers.forEach(HttpResponse::requireSingleLine);
  }

  /** A response without extra headers. */
  public static HttpResponse of(int status, String contentType, byte[] body) {
    return new HttpResponse(status, contentType, body, Map.of());
  }

  /**
   * {@code body} as JSON: records, maps, lists, strings, numbers; {@code java.time} values as their
   * {@code toString()} ({@code "2026-03-01T10:15:02Z"}, {@code "PT4S"}); an empty {@code Optional}
   * as {@code null}.
   */
  public static HttpResponse json(int status, Object body) {
    return of(status, JSON, JsonBodies.write(body));
  }

  /** {@code body} as UTF-8 plain text. */
  public static HttpResponse text(int status, String body) {
    return of(status, TEXT, body.getBytes(UTF_8));
  }

  /** This response with one more header (replacing one of the same name). */
  public HttpResponse withHeader(String name, String value) {
    var more = new LinkedHashMap<>(headers);
    more.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return new HttpResponse(status, contentType, body, more);
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

  // why: a line break in a header would let a handler's data forge further headers
  private static void requireSingleLine(String name, String value) {
    if (name.isEmpty() || (name + value).chars().anyMatch(c -> c == '\r' || c == '\n')) {
      throw new IllegalArgumentException("malformed response header " + name);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof HttpResponse that
        && status == that.status
        && contentType.equals(that.contentType)
        && Arrays.equals(body, that.body)
        && headers.equals(that.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, contentType, Arrays.hashCode(body), headers);
  }

  @Override
  public String toString() {
    return "HttpResponse[" + status + " " + contentType + ", body=" + body.length + " bytes]";
  }
}
