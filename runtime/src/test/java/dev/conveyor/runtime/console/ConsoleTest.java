package dev.conveyor.runtime.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsoleTest {
  private record Added(Handler handler, boolean admin) {}

  private final Map<String, Added> routes = new LinkedHashMap<>();

  ConsoleTest() {
    new Console(
            "patrol",
            "n1",
            () -> {
              throw new IllegalStateException("redis <b>not</b> ready");
            },
            Clock.systemUTC())
        .register((method, path, handler, admin) ->
            routes.put(method + " " + path, new Added(handler, admin)));
  }

  @Test
  void everyActionNeedsTheAdminTokenAndNoReadDoes() {
    assertThat(routes.keySet()).containsExactly("GET /ui", "GET /ui/*", "POST /ui/actions/*");
    routes.forEach(
        (route, added) -> assertThat(added.admin()).as(route).isEqualTo(route.startsWith("POST")));
  }

  @Test
  void aPageThatCannotBeReadIsA503SayingWhyAsText() throws Exception {
    HttpResponse r = get("GET /ui", "");

    assertThat(r.status()).isEqualTo(503);
    assertThat(r.contentType()).startsWith("text/html");
    assertThat(r.bodyAsString()).contains("redis &lt;b&gt;not&lt;/b&gt; ready");
    assertThat(r.headers().get("Content-Security-Policy")).contains("script-src 'self'");
  }

  @Test
  void theScriptAndTheStylesheetAreServedFromTheConsoleItself() throws Exception {
    assertThat(get("GET /ui/*", "console.js").bodyAsString()).contains("sessionStorage");
    assertThat(get("GET /ui/*", "console.css").contentType()).startsWith("text/css");
    assertThat(get("GET /ui/*", "nothing").status()).isEqualTo(404);
  }

  private HttpResponse get(String route, String wildcard) throws Exception {
    return routes
        .get(route)
        .handler()
        .handle(
            new HttpRequest("GET", "/ui/" + wildcard, wildcard, Map.of(), Map.of(), new byte[0]));
  }
}
