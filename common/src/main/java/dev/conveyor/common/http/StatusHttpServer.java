package dev.conveyor.common.http;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP status server of a daemon: {@code GET /health} (200 UP or 503 DOWN with the lifecycle
 * state), {@code GET /status} (JSON), {@code GET /metrics} (Prometheus text) and any routes the
 * daemon adds. Requests run on virtual threads, at most {@value #DEFAULT_MAX_CONCURRENT} at once
 * (more are answered 503), each reading at most its route's body limit (more is answered 413).
 * Built with {@link #builder()}; {@link #start()} binds, {@link #close()} stops within a few
 * seconds and may be called more than once.
 */
public final class StatusHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusHttpServer.class);
  private static final int STOP_DELAY_SECONDS = 1;
  private static final long HANDLER_GRACE_MILLIS = 1_000;

  /** Seconds a client has to send a whole request, body included, unless JAVA_OPTS sets it. */
  static final String MAX_REQUEST_SECONDS = "30";

  static {
    // why: without it the JDK server waits for ever on a client that sends its request (or a
    // body we did not read) byte by byte; read once, when its first server is created
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", MAX_REQUEST_SECONDS);
    }
  }

  /** Requests handled at once unless the builder says otherwise. */
  public static final int DEFAULT_MAX_CONCURRENT = 32;

  private final String bindAddress;
  private final int requestedPort;
  private final ExchangeHandler handler;

  private volatile HttpServer server;
  private ExecutorService executor;
  private boolean closed;

  private StatusHttpServer(Builder builder) {
    this.bindAddress = builder.bindAddress;
    this.requestedPort = builder.port;
    this.handler =
        new ExchangeHandler(
            new Router(builder.routes()), AdminGuard.of(builder.adminToken), builder.maxConcurrent);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds and starts serving; logs {@code event=http_listening}.
   *
   * @throws UncheckedIOException if the address cannot be bound (port in use, unknown host)
   * @throws IllegalStateException if already started or closed
   */
  public synchronized void start() {
    if (closed || server != null) {
      throw new IllegalStateException(closed ? "server is closed" : "server already started");
    }
    HttpServer created;
    try {
      created =
          HttpServer.create(
              new InetSocketAddress(InetAddress.getByName(bindAddress), requestedPort), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + bindAddress + ":" + requestedPort + ": " + e.getMessage(), e);
    }
    // why: the named form of newVirtualThreadPerTaskExecutor(), so a handler's log lines show
    // [http-12] rather than an empty thread name
    executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory());
    created.setExecutor(executor);
    created.createContext("/", handler);
    created.start();
    server = created;
    log.atInfo()
        .addKeyValue("event", "http_listening")
        .addKeyValue("port", port())
        .addKeyValue("address", bindAddress)
        .log();
  }

  /**
   * The bound port (the ephemeral one when built with port 0).
   *
   * @throws IllegalStateException if not started
   */
  public int port() {
    HttpServer current = server;
    if (current == null) {
      throw new IllegalStateException("server not started");
    }
    return current.getAddress().getPort();
  }

  /**
   * Stops accepting, gives running requests about a second, then stops their threads; logs {@code
   * event=http_stopped}. Harmless when called again or before {@link #start()}.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server == null) {
      return;
    }
    int port = port();
    server.stop(STOP_DELAY_SECONDS);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(HANDLER_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
        executor.awaitTermination(HANDLER_GRACE_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.atInfo().addKeyValue("event", "http_stopped").addKeyValue("port", port).log();
  }

  /** True once closed and every request thread has ended; for tests. */
  synchronized boolean isTerminated() {
    return closed && (executor == null || executor.isTerminated());
  }

  /** Collects the server's settings and routes. */
  public static final class Builder {
    private int port = 8080;
    private String bindAddress = "0.0.0.0";
    private BooleanSupplier healthy;
    private Supplier<String> state;
    private Supplier<List<String>> servicesDown = List::of;
    private Supplier<?> status;
    private PrometheusMeterRegistry registry;
    private Optional<String> adminToken = Optional.empty();
    private int maxConcurrent = DEFAULT_MAX_CONCURRENT;
    private final List<Route> extraRoutes = new ArrayList<>();

    private Builder() {}

    /** The port to listen on, 8080 by default; 0 picks a free one (tests). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The address to listen on, {@code 0.0.0.0} (all interfaces) by default. */
    public Builder bindAddress(String bindAddress) {
      this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
      return this;
    }

    /** Required: {@code GET /health} answers 200 while {@code healthy}, else 503. */
    public Builder health(BooleanSupplier healthy, Supplier<String> state) {
      this.healthy = Objects.requireNonNull(healthy, "healthy");
      this.state = Objects.requireNonNull(state, "state");
      return this;
    }

    /**
     * {@code GET /health} also says which services the daemon depends on are down: while it is
     * healthy and some are, it answers 200 with status {@code DEGRADED} and their names.
     */
    public Builder servicesDown(Supplier<List<String>> servicesDown) {
      this.servicesDown = Objects.requireNonNull(servicesDown, "servicesDown");
      return this;
    }

    /** {@code GET /status} answers the supplied object as JSON; absent unless set. */
    public Builder status(Supplier<?> status) {
      this.status = Objects.requireNonNull(status, "status");
      return this;
    }

    /** {@code GET /metrics} answers the registry's scrape; absent unless set. */
    public Builder metrics(PrometheusMeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Requests handled at once; one more is answered 503 (GET /health is always answered). */
    public Builder maxConcurrent(int maxConcurrent) {
      if (maxConcurrent < 1) {
        throw new IllegalArgumentException("maxConcurrent must be >= 1, was " + maxConcurrent);
      }
      this.maxConcurrent = maxConcurrent;
      return this;
    }

    /**
     * When present, routes that require admin need {@code Authorization: Bearer <token>}; when
     * empty they answer loopback clients only.
     */
    public Builder adminToken(Optional<String> adminToken) {
      this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
      return this;
    }

    /** A route open to everyone; {@code path} may end in {@code /*} to match a prefix. */
    public Builder route(String method, String path, Handler handler) {
      return route(method, path, handler, false);
    }

    /**
     * A route that, if {@code requiresAdmin}, needs the admin token when one is configured (and
     * answers loopback clients only when none is). It reads a body of at most 64 KiB for POST, PUT
     * and PATCH, none for other methods.
     */
    public Builder route(String method, String path, Handler handler, boolean requiresAdmin) {
      extraRoutes.add(new Route(method, path, handler, requiresAdmin));
      return this;
    }

    /** As {@link #route(String, String, Handler, boolean)}, with a body limit of its own. */
    public Builder route(
        String method, String path, Handler handler, boolean requiresAdmin, int maxBodyBytes) {
      extraRoutes.add(new Route(method, path, handler, requiresAdmin, maxBodyBytes));
      return this;
    }

    /**
     * @throws IllegalStateException if {@link #health} was not set
     * @throws IllegalArgumentException if a route is registered twice or the admin token is blank
     */
    public StatusHttpServer build() {
      if (healthy == null) {
        throw new IllegalStateException("health(...) is required");
      }
      return new StatusHttpServer(this);
    }

    private List<Route> routes() {
      var routes = new ArrayList<Route>();
      routes.add(
          new Route("GET", "/health", BuiltInRoutes.health(healthy, state, servicesDown), false));
      if (status != null) {
        routes.add(new Route("GET", "/status", BuiltInRoutes.status(status), false));
      }
      if (registry != null) {
        routes.add(new Route("GET", "/metrics", BuiltInRoutes.metrics(registry), false));
      }
      routes.addAll(extraRoutes);
      return routes;
    }
  }
}
