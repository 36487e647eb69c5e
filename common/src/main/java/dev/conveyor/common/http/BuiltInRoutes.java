package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The handlers behind {@code /health}, {@code /status} and {@code /metrics}. */
final class BuiltInRoutes {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private BuiltInRoutes() {}

  /** The body of {@code GET /health}. */
  record Health(String status, String state) {}

  static Handler health(BooleanSupplier healthy, Supplier<String> state) {
    return request -> {
      boolean up = healthy.getAsBoolean();
      return HttpResponse.json(up ? 200 : 503, new Health(up ? "UP" : "DOWN", state.get()));
    };
  }

  static Handler status(Supplier<?> status) {
    return request -> HttpResponse.json(200, status.get());
  }

  static Handler metrics(PrometheusMeterRegistry registry) {
    return request -> HttpResponse.of(200, PROMETHEUS_TEXT, registry.scrape().getBytes(UTF_8));
  }
}
