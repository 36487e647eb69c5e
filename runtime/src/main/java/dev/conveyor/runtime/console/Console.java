package dev.conveyor.runtime.console;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.runtime.console.ConsolePages.DeadFilter;
import dev.conveyor.runtime.console.ConsolePages.RejectedFilter;
import dev.conveyor.runtime.console.ConsolePages.Served;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator console under {@code /ui}, served by every daemon on its HTTP port: server-rendered
 * pages (overview, a task, dead items, rejected messages) that a small script refreshes every few
 * seconds, and actions (replay, suspend, resume) that need the admin token. Reads need none.
 *
 * <ul>
 *   <li>{@code GET /ui}: nodes, inbox lag, each pipeline's DAG with per-step backlog and dead items
 *   <li>{@code GET /ui/tasks/<id>} (or {@code /ui/tasks?id=}): a task's timeline, steps, dead items
 *   <li>{@code GET /ui/dead?task=&pipeline=&step=}, {@code GET
 *       /ui/rejected?reason=&pipeline=&task=}
 *   <li>{@code POST /ui/actions/replay|suspend|resume}: admin; see {@link ConsoleActions}
 * </ul>
 *
 * <p>Every HTML answer carries a Content-Security-Policy that allows only the console's own script
 * and style, so that a hostile value that escaped the escaping still could not run. The token is
 * sent as {@code Authorization: Bearer}, never a cookie, so another site cannot act with it.
 */
public final class Console {
  private static final Logger log = LoggerFactory.getLogger(Console.class);
  private static final String HTML = "text/html; charset=utf-8";
  private static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final Served served;
  private final Supplier<ConsoleSources> sources;
  private final Clock clock;
  private final NodeHttp http = new NodeHttp();
  private final StepRates rates = new StepRates();
  private final StepTimes times = new StepTimes();
  private final byte[] script = resource("console.js");
  private final byte[] style = resource("console.css");

  /** Where a daemon adds its HTTP routes (its {@code route} method). */
  @FunctionalInterface
  public interface Routes {
    void route(String method, String path, Handler handler, boolean requiresAdmin);
  }

  /**
   * @param role the serving daemon's role, shown in the footer
   * @param sources asked on each request; may throw while the daemon is not ready
   */
  public Console(String role, String node, Supplier<ConsoleSources> sources, Clock clock) {
    this.served = new Served(role, node);
    this.sources = sources;
    this.clock = clock;
  }

  /** Adds the console's routes. */
  public void register(Routes routes) {
    routes.route("GET", "/ui", request -> page(""), false);
    routes.route("GET", "/ui/*", this::get, false);
    routes.route("POST", "/ui/actions/*", this::action, true);
  }

  private HttpResponse get(HttpRequest request) throws InterruptedException {
    String path = request.wildcard();
    return switch (path) {
      case "console.js" -> asset("text/javascript; charset=utf-8", script);
      case "console.css" -> asset("text/css; charset=utf-8", style);
      case "", "dead", "rejected", "tasks" -> page(path, request);
      default ->
          path.startsWith("tasks/")
              ? task(path.substring("tasks/".length()))
              : html(404, ConsolePages.unavailable(served, "Not found", "no page " + path));
    };
  }

  private HttpResponse page(String path) throws InterruptedException {
    return page(path, null);
  }

  private HttpResponse page(String path, HttpRequest request) throws InterruptedException {
    try {
      ConsoleData data = new ConsoleData(sources.get(), http);
      return switch (path) {
        case "dead" -> {
          var f = new DeadFilter(q(request, "task"), q(request, "pipeline"), q(request, "step"));
          yield html(
              200, ConsolePages.dead(served, f, data.deadItems(f.task(), f.pipeline(), f.step())));
        }
        case "rejected" -> {
          var f =
              new RejectedFilter(q(request, "reason"), q(request, "pipeline"), q(request, "task"));
          yield html(
              200,
              ConsolePages.rejected(served, f, data.rejected(f.reason(), f.pipeline(), f.task())));
        }
        case "tasks" -> task(Optional.ofNullable(q(request, "id")).orElse(""));
        default ->
            html(200, ConsolePages.overview(served, data.overview(clock.instant(), rates, times)));
      };
    } catch (RuntimeException e) {
      return unavailable(path, e);
    }
  }

  private HttpResponse task(String id) {
    try {
      ConsoleData data = new ConsoleData(sources.get(), http);
      return html(
          200,
          ConsolePages.task(
              served, id, data.task(id), data.rejected(null, null, id), data.readsInbox()));
    } catch (RuntimeException e) {
      return unavailable("tasks", e);
    }
  }

  private HttpResponse unavailable(String path, RuntimeException e) {
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    log.atWarn()
        .addKeyValue("event", "console_unavailable")
        .addKeyValue("page", "/ui/" + path)
        .addKeyValue("error", why)
        .log();
    return html(503, ConsolePages.unavailable(served, "Console", why));
  }

  private HttpResponse action(HttpRequest request) throws InterruptedException {
    ConsoleActions actions =
        new ConsoleActions(
            () -> new NodeReader(sources.get().keys()).read(sources.get().redis()), http);
    try {
      return actions.handle(request.wildcard(), request);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return HttpResponse.json(503, Map.of("error", why));
    }
  }

  /** A query value, null when absent or blank (a blank filter matches everything). */
  private static String q(HttpRequest request, String name) {
    return request == null
        ? null
        : request.queryParam(name).map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
  }

  private static HttpResponse html(int status, String body) {
    return HttpResponse.of(status, HTML, body.getBytes(UTF_8))
        .withHeader("Content-Security-Policy", CSP)
        .withHeader("X-Content-Type-Options", "nosniff")
        .withHeader("Referrer-Policy", "no-referrer")
        .withHeader("Cache-Control", "no-store");
  }

  private static HttpResponse asset(String type, byte[] body) {
    return HttpResponse.of(200, type, body)
        .withHeader("X-Content-Type-Options", "nosniff")
        .withHeader("Cache-Control", "max-age=300");
  }

  private static byte[] resource(String name) {
    try (InputStream in = Console.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("console resource " + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
