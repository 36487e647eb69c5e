package dev.conveyor.common.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The configuration every daemon shares: the environment table of docs/design.md (Environment).
 * Built from an {@link Env}; each daemon wraps it in a record of its own for its extra settings.
 *
 * @param namespace Redis key prefix; two namespaces never see each other
 * @param pipelines directory of pipeline YAML files
 * @param nodeId this daemon's name in heartbeats, consumer groups and Quartz
 * @param httpPort health/status/metrics port, 0 = off
 * @param httpHost the host name others reach this daemon's HTTP at ({@code CONVEYOR_HTTP_HOST},
 *     default the host name); written in the heartbeat so the CLI can find the daemon
 * @param logLevel level of Conveyor's own loggers ({@code CONVEYOR_LOG_LEVEL})
 * @param maxMessageBytes larger inbound payloads are rejected
 * @param adminToken when set, control actions need it; when not, they answer loopback clients only
 * @param httpBind the address the HTTP server listens on ({@code CONVEYOR_HTTP_BIND}, default
 *     {@code 0.0.0.0}: every interface)
 * @param taskEventsMaxLen about how many entries the task events stream keeps ({@code
 *     CONVEYOR_TASK_EVENTS_MAXLEN}; {@code XADD MAXLEN ~}); 0 writes no events
 */
public record ConveyorConfig(
    RedisConfig redis,
    PgConfig pg,
    String namespace,
    Path pipelines,
    String nodeId,
    int httpPort,
    String httpHost,
    LogFormat logFormat,
    LogLevel logLevel,
    int maxMessageBytes,
    Optional<Secret> adminToken,
    String httpBind,
    long taskEventsMaxLen) {

  /** Task events kept (about) unless {@code CONVEYOR_TASK_EVENTS_MAXLEN} says otherwise. */
  public static final int DEFAULT_TASK_EVENTS_MAXLEN = 100_000;

  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern HTTP_HOST = Pattern.compile("[A-Za-z0-9_.:\\[\\]-]{1,255}");
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

  public ConveyorConfig {
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new ConfigException(
          "CONVEYOR_NAMESPACE must be 1-64 characters of A-Z a-z 0-9 _ . -, was '"
              + namespace
              + "'");
    }
    if (!HTTP_HOST.matcher(httpHost).matches()) {
      throw new ConfigException(
          "CONVEYOR_HTTP_HOST must be a host name or an IP address, was '" + httpHost + "'");
    }
    if (!HTTP_HOST.matcher(httpBind).matches()) {
      throw new ConfigException(
          "CONVEYOR_HTTP_BIND must be an IP address or a host name to listen on, was '"
              + httpBind
              + "'");
    }
    if (!NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException(
          "CONVEYOR_NODE_ID must be 1-128 characters of A-Z a-z 0-9 _ . -, was '" + nodeId + "'");
    }
  }

  public static ConveyorConfig from(Env env) {
    return new ConveyorConfig(
        RedisConfig.from(env),
        PgConfig.from(env),
        env.string("CONVEYOR_NAMESPACE", "conveyor"),
        Path.of(env.string("CONVEYOR_PIPELINES", "/etc/conveyor/pipelines")),
        env.optional("CONVEYOR_NODE_ID").orElseGet(() -> defaultNodeId(env)),
        env.integer("CONVEYOR_HTTP_PORT", 8080, 0, 65535),
        env.optional("CONVEYOR_HTTP_HOST").orElseGet(() -> defaultHttpHost(env)),
        env.choice("CONVEYOR_LOG_FORMAT", LogFormat.class, LogFormat.TEXT),
        env.choice("CONVEYOR_LOG_LEVEL", LogLevel.class, LogLevel.INFO),
        env.integer("CONVEYOR_MAX_MESSAGE_BYTES", 1 << 20, 1, Integer.MAX_VALUE),
        env.secret("CONVEYOR_ADMIN_TOKEN"),
        env.string("CONVEYOR_HTTP_BIND", "0.0.0.0"),
        env.integer("CONVEYOR_TASK_EVENTS_MAXLEN", DEFAULT_TASK_EVENTS_MAXLEN, 0, 100_000_000));
  }

  /** hostname-pid, with characters outside the node id alphabet replaced. */
  static String defaultNodeId(Env env) {
    String host = env.optional("HOSTNAME").orElseGet(ConveyorConfig::localHostName);
    String id = host.replaceAll("[^A-Za-z0-9_.-]", "-") + "-" + ProcessHandle.current().pid();
    return id.length() > 128 ? id.substring(id.length() - 128) : id;
  }

  /** The host name, as {@code HOSTNAME} (Docker sets it to the container's) or the OS says. */
  static String defaultHttpHost(Env env) {
    return env.optional("HOSTNAME").orElseGet(ConveyorConfig::localHostName);
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "node";
    }
  }

  /** The effective configuration for the start-up log line, secrets masked. */
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("redis_url", Masks.url(redis.url().toString()));
    if (redis.cluster()) {
      d.put(
          "redis_cluster",
          String.join(",", redis.clusterNodes().stream().map(Object::toString).toList()));
    }
    redis.inboxUrl().ifPresent(u -> d.put("inbox_url", Masks.url(u.toString())));
    d.put("redis_password", redis.password().isPresent() ? "****" : "unset");
    d.put("redis_wait_replicas", redis.waitReplicas());
    d.put("pg_url", Masks.url(pg.url()));
    d.put("pg_user", pg.user());
    d.put("pg_password", pg.password().isPresent() ? "****" : "unset");
    d.put("pg_pool_size", pg.poolSize());
    d.put("namespace", namespace);
    d.put("pipelines", pipelines.toString());
    d.put("node_id", nodeId);
    d.put("http_port", httpPort);
    d.put("http_host", httpHost);
    d.put("http_bind", httpBind);
    d.put("log_format", logFormat.name().toLowerCase(java.util.Locale.ROOT));
    d.put("log_level", logLevel.name().toLowerCase(java.util.Locale.ROOT));
    d.put("max_message_bytes", maxMessageBytes);
    d.put("admin_token", adminToken.isPresent() ? "****" : "unset");
    d.put("task_events_maxlen", taskEventsMaxLen);
    return d;
  }
}
