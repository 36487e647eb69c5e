package dev.conveyor.common.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes each exchange, enforces the admin token and turns handler failures into 500s. */
final class ExchangeHandler implements HttpHandler {
  static final int MAX_BODY_BYTES = 1 << 20;
  private static final Logger log = LoggerFactory.getLogger(StatusHttpServer.class);

  private final Router router;
  private final AdminGuard adminGuard;

  ExchangeHandler(Router router, AdminGuard adminGuard) {
    this.router = router;
    this.adminGuard = adminGuard;
  }

  /** The body of every error response. */
  record ErrorBody(String error) {}

  /** The body of a 404. */
  record NotFoundBody(String error, String path) {}

  @Override
  public void handle(HttpExchange exchange) {
    try {
      send(exchange, respond(exchange));
    } catch (IOException e) {
      // why: the client went away mid-exchange; nothing an operator can act on
      log.atDebug().addKeyValue("event", "http_aborted").addKeyValue("error", e).log();
    } finally {
      exchange.close();
    }
  }

  private HttpResponse respond(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = Objects.requireNonNullElse(exchange.getRequestURI().getPath(), "");
    return switch (router.resolve(method, path)) {
      case Router.NotFound() -> HttpResponse.json(404, new NotFoundBody("not found", path));
      case Router.MethodNotAllowed(var allowed) ->
          HttpResponse.json(405, new ErrorBody("method not allowed"))
              .withHeader("Allow", String.join(", ", allowed));
      case Router.Found(var route, var wildcard) -> call(exchange, route, method, path, wildcard);
    };
  }

  private HttpResponse call(
      HttpExchange exchange, Route route, String method, String path, String wildcard)
      throws IOException {
    Headers headers = exchange.getRequestHeaders();
    if (route.requiresAdmin() && !adminGuard.permits(headers.getFirst("Authorization"))) {
      return HttpResponse.json(401, new ErrorBody("admin token required"))
          .withHeader("WWW-Authenticate", "Bearer");
    }
    byte[] body = readBody(exchange);
    if (body == null) {
      return HttpResponse.json(413, new ErrorBody("request body too large"));
    }
    // why: the JDK server already answers 400 to a request line that is not a valid URI, so the
    // query's % escapes are well formed here
    var query = QueryString.parse(exchange.getRequestURI().getRawQuery());
    var request = new HttpRequest(method, path, wildcard, query, headers, body);
    try {
      return Objects.requireNonNull(route.handler().handle(request), "handler returned null");
    } catch (InterruptedException e) {
      // why: only close() interrupts handlers; the server is going away, which is no error
      Thread.currentThread().interrupt();
      return HttpResponse.json(503, new ErrorBody("shutting down"));
    } catch (Exception e) {
      log.atError()
          .addKeyValue("event", "http_error")
          .addKeyValue("method", method)
          .addKeyValue("path", path)
          .addKeyValue("error", describe(e))
          .setCause(e)
          .log();
      return HttpResponse.json(500, new ErrorBody("internal error"));
    }
  }

  /** The body, or null when it is larger than {@link #MAX_BODY_BYTES}. */
  private static byte[] readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
      return body.length > MAX_BODY_BYTES ? null : body;
    }
  }

  private static void send(HttpExchange exchange, HttpResponse response) throws IOException {
    Headers headers = exchange.getResponseHeaders();
    headers.set("Content-Type", response.contentType());
    response.headers().forEach(headers::set);
    byte[] body = response.body();
    boolean bodiless = body.length == 0 || response.status() == 204 || response.status() == 304;
    exchange.sendResponseHeaders(response.status(), bodiless ? -1 : body.length);
    if (!bodiless) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getName();
  }
}
