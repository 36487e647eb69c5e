package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The handlers behind {@code /health}, {@code /status} and {@code /metrics}. */
final class BuiltInRoutes {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private BuiltInRoutes() {}

  /**
   * The body of {@code GET /health}: {@code UP}, {@code DEGRADED} (healthy, but services it depends
   * on are down: listed in {@code down}) or {@code DOWN}.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record Health(String status, String state, List<String> down) {}

  static Handler health(
      BooleanSupplier healthy, Supplier<String> state, Supplier<List<String>> servicesDown) {
    return request -> {
      boolean up = healthy.getAsBoolean();
      List<String> down = servicesDown.get();
      String status = !up ? "DOWN" : down.isEmpty() ? "UP" : "DEGRADED";
      return HttpResponse.json(up ? 200 : 503, new Health(status, state.get(), down));
    };
  }

  static Handler status(Supplier<?> status) {
    return request -> HttpResponse.json(200, status.get());
  }

  static Handler metrics(PrometheusMeterRegistry registry) {
    return request -> HttpResponse.of(200, PROMETHEUS_TEXT, registry.scrape().getBytes(UTF_8));
  }
}
