package dev.conveyor.common.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each exchange, enforces the admin rule ({@link AdminGuard}) and each route's body limit,
 * bounds the requests handled at once, and turns handler failures into 500s.
 *
 * <ul>
 *   <li>At most {@code maxConcurrent} requests are handled at once; one more is answered 503 with
 *       {@code Retry-After: 1} at once, its body unread. {@code GET /health} is always answered (it
 *       is cheap), so that a busy HTTP never makes an orchestrator restart a healthy daemon.
 *   <li>A body larger than the route's limit is answered 413: by its Content-Length before a byte
 *       is read, else (chunked) as soon as the limit is passed while reading.
 * </ul>
 */
final class ExchangeHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(StatusHttpServer.class);

  private final Router router;
  private final AdminGuard adminGuard;
  private final Semaphore inFlight;

  ExchangeHandler(Router router, AdminGuard adminGuard, int maxConcurrent) {
    this.router = router;
    this.adminGuard = adminGuard;
    this.inFlight = new Semaphore(maxConcurrent);
  }

  /** The body of every error response. */
  record ErrorBody(String error) {}

  /** The body of a 404. */
  record NotFoundBody(String error, String path) {}

  @Override
  public void handle(HttpExchange exchange) {
    boolean health =
        "GET".equals(exchange.getRequestMethod())
            && "/health".equals(exchange.getRequestURI().getPath());
    if (!health && !inFlight.tryAcquire()) {
      try {
        send(
            exchange,
            HttpResponse.json(503, new ErrorBody("too many requests at once"))
                .withHeader("Retry-After", "1"));
      } catch (IOException e) {
        log.atDebug().addKeyValue("event", "http_aborted").addKeyValue("error", e).log();
      } finally {
        exchange.close();
      }
      return;
    }
    try {
      send(exchange, respond(exchange));
    } catch (IOException e) {
      // why: the client went away mid-exchange; nothing an operator can act on
      log.atDebug().addKeyValue("event", "http_aborted").addKeyValue("error", e).log();
    } finally {
      // why: first, as closing may wait for a slow client's unread body (up to the server's
      // request time limit); that wait must not hold a slot
      if (!health) {
        inFlight.release();
      }
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
    if (route.requiresAdmin()) {
      InetSocketAddress client = exchange.getRemoteAddress();
      switch (adminGuard.decide(
          headers.getFirst("Authorization"), client == null ? null : client.getAddress())) {
        case ALLOWED -> {}
        case TOKEN_REQUIRED -> {
          return HttpResponse.json(401, new ErrorBody("admin token required"))
              .withHeader("WWW-Authenticate", "Bearer");
        }
        case LOOPBACK_ONLY -> {
          return HttpResponse.json(
              403,
              new ErrorBody(
                  "control actions and writes are open to local clients only while no admin"
                      + " token is set: set CONVEYOR_ADMIN_TOKEN on the daemons and send it as Authorization:"
                      + " Bearer <token>"));
        }
      }
    }
    byte[] body = readBody(exchange, route.maxBodyBytes());
    if (body == null) {
      return HttpResponse.json(
          413,
          new ErrorBody(
              "request body too large: this route takes at most "
                  + route.maxBodyBytes()
                  + " bytes"));
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

  /** The body, or null when it is larger than {@code max}: told by Content-Length, or read. */
  private static byte[] readBody(HttpExchange exchange, int max) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.strip()) > max) {
          return null;
        }
      } catch (NumberFormatException e) {
        // why: the JDK server refuses a malformed length before us; read and see
      }
    }
    // why: not closed here: closing drains what is left of the body, and a client may send far
    // more than the limit, or never end; the exchange's close after the answer takes care of it
    InputStream in = exchange.getRequestBody();
    byte[] body = in.readNBytes(max + 1);
    return body.length > max ? null : body;
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
