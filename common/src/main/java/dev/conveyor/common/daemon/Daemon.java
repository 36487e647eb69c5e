package dev.conveyor.common.daemon;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Secret;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.http.StatusHttpServer;
import dev.conveyor.common.lifecycle.CompositeLifecycle;
import dev.conveyor.common.lifecycle.IllegalTransitionException;
import dev.conveyor.common.lifecycle.Transition;
import dev.conveyor.common.metrics.Metrics;
import dev.conveyor.common.outage.PostgresProbe;
import dev.conveyor.common.outage.RedisProbe;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.outage.ServiceProbe;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The base of each daemon: a system of subsystems with what all three share — configuration,
 * metrics, the watch over the services it depends on (its first subsystem, so the last to stop),
 * the status server (when {@code CONVEYOR_HTTP_PORT} is not 0) and the heartbeat. Subclasses add
 * their subsystems in dependency order between {@link #addHttp} (first) and {@link #addHeartbeat}
 * (last).
 */
public abstract class Daemon extends CompositeLifecycle {
  private static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

  private final ConveyorConfig config;
  private final Keys keys;
  private final PrometheusMeterRegistry metrics;
  private final ServiceWatch watch;
  private final Map<String, RouteDef> routes = new LinkedHashMap<>();
  private HttpSubsystem http;

  private record RouteDef(
      String method, String path, Handler handler, boolean admin, int maxBodyBytes) {}

  private static final int DEFAULT_BODY = -1;

  /**
   * @param uses the services the daemon depends on; {@link Service#INBOX} is watched only when the
   *     inbox is on another Redis ({@code CONVEYOR_INBOX_URL})
   */
  // why: the listener only touches the registry, which is assigned before it is registered
  @SuppressWarnings("this-escape")
  protected Daemon(String role, ConveyorConfig config, Set<Service> uses) {
    super(role);
    this.config = config;
    this.keys = new Keys(config.namespace());
    this.metrics = Metrics.create(role, config.nodeId());
    this.watch = add(watchOf(role, config, uses, metrics));
    addListener((system, from, to, reason) -> {
      if (to.isFinal()) {
        metrics.close();
      }
    });
  }

  /** A daemon whose services nobody watches (its failures are all its own to log). */
  protected Daemon(String role, ConveyorConfig config) {
    this(role, config, Set.of());
  }

  private static ServiceWatch watchOf(
      String role, ConveyorConfig config, Set<Service> uses, PrometheusMeterRegistry metrics) {
    String client = role + "-watch-" + config.nodeId();
    Map<Service, ServiceProbe> probes = new EnumMap<>(Service.class);
    if (uses.contains(Service.REDIS)) {
      probes.put(Service.REDIS, new RedisProbe(config.redis(), Endpoint.RUNTIME, client));
    }
    if (uses.contains(Service.INBOX) && config.redis().inboxElsewhere()) {
      probes.put(Service.INBOX, new RedisProbe(config.redis(), Endpoint.INBOX, client + "-inbox"));
    }
    if (uses.contains(Service.POSTGRES)) {
      probes.put(Service.POSTGRES, new PostgresProbe(config.pg(), client));
    }
    return new ServiceWatch(probes, metrics, Clock.systemUTC());
  }

  public ConveyorConfig config() {
    return config;
  }

  public Keys keys() {
    return keys;
  }

  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  /** What this daemon knows of the services it depends on. */
  public ServiceWatch serviceWatch() {
    return watch;
  }

  /** The bound HTTP port, or 0 when HTTP is off. */
  public int httpPort() {
    return http == null ? 0 : http.port();
  }

  /** {@code host:port} of the HTTP server ({@code CONVEYOR_HTTP_HOST}), empty while it is off. */
  private Optional<String> httpAddress() {
    int port = httpPort();
    if (port == 0) {
      return Optional.empty();
    }
    String host = config.httpHost();
    // why: an IPv6 literal needs brackets before the port
    return Optional.of(
        (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port);
  }

  /** What {@code GET /status} shows besides the lifecycle tree. */
  protected Map<String, Object> statusDetails() {
    return Map.of();
  }

  /** Adds an extra HTTP route; call before {@link #addHttp}. */
  protected final void route(String method, String path, Handler handler, boolean requiresAdmin) {
    routes.put(
        method + " " + path, new RouteDef(method, path, handler, requiresAdmin, DEFAULT_BODY));
  }

  /** As {@link #route(String, String, Handler, boolean)}, reading a body of at most this size. */
  protected final void route(
      String method, String path, Handler handler, boolean requiresAdmin, int maxBodyBytes) {
    routes.put(
        method + " " + path, new RouteDef(method, path, handler, requiresAdmin, maxBodyBytes));
  }

  /** Adds the status server (if enabled) as the first subsystem. */
  protected final void addHttp() {
    if (config.httpPort() == 0) {
      return;
    }
    StatusHttpServer.Builder b =
        StatusHttpServer.builder()
            .port(config.httpPort())
            .bindAddress(config.httpBind())
            .health(this::isHealthy, () -> state().name())
            .servicesDown(watch::downLabels)
            .status(this::status)
            .metrics(metrics)
            .adminToken(config.adminToken().map(Secret::reveal));
    b.route("POST", "/suspend", request -> control(Transition.SUSPEND), true);
    b.route("POST", "/resume", request -> control(Transition.RESUME), true);
    routes
        .values()
        .forEach(r -> {
          if (r.maxBodyBytes() == DEFAULT_BODY) {
            b.route(r.method(), r.path(), r.handler(), r.admin());
          } else {
            b.route(r.method(), r.path(), r.handler(), r.admin(), r.maxBodyBytes());
          }
        });
    http = add(new HttpSubsystem(b.build()));
  }

  /** {@code POST /suspend} and {@code /resume}: this daemon stops or restarts taking work. */
  private HttpResponse control(Transition transition) {
    try {
      if (transition == Transition.SUSPEND) {
        suspend();
      } else {
        resume();
      }
      return HttpResponse.json(200, Map.of("daemon", name(), "state", state().name()));
    } catch (IllegalTransitionException e) {
      return HttpResponse.json(409, Map.of("error", e.getMessage(), "state", state().name()));
    }
  }

  /** Adds the heartbeat as the last subsystem, written with the given (runtime) Redis client. */
  protected final void addHeartbeat(RedisSubsystem redis) {
    Heartbeat beat =
        new Heartbeat(
            redis::commands,
            keys,
            config.nodeId(),
            name(),
            () -> state().name(),
            HEARTBEAT_INTERVAL,
            Clock.systemUTC(),
            this::httpAddress);
    Runnable beatAndReport =
        () -> {
          beat.beat();
          // why: the beat is a command that answered; the watch need not ask Redis too (one PING
          // every 5 s of an idle daemon's Redis commands)
          watch.answered(Service.REDIS);
        };
    add(new PeriodicTask("heartbeat", beat.interval(), beatAndReport, beat::leave, false, watch));
  }

  /** The {@code /status} document. */
  public final Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("daemon", name());
    s.put("node", config.nodeId());
    s.put("version", Version.current());
    s.put("state", state().name());
    s.put("lifecycle", snapshot());
    s.put("services", watch.status());
    s.putAll(statusDetails());
    return s;
  }
}
