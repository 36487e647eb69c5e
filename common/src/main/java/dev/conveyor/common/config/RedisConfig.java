package dev.conveyor.common.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the runtime Redis is: one server by URL, or a Redis Cluster by seed nodes. The inbox may
 * live on another Redis ({@code CONVEYOR_INBOX_URL}).
 *
 * @param url {@code redis://[user:password@]host:port[/db]} or {@code rediss://} for TLS
 * @param clusterNodes seed nodes {@code host:port}; non-empty means Redis Cluster mode
 * @param password overrides the password in the URL
 * @param inboxUrl the inbox's Redis when it is not the runtime Redis
 * @param socketTimeout read timeout of ordinary commands
 * @param block how long a blocking stream read waits; kept well under the socket timeout
 * @param waitReplicas whether a dispatcher waits until its writes are on every online replica of
 *     the masters it wrote to before it acknowledges the inbox entries they came from ({@code
 *     CONVEYOR_REDIS_WAIT_REPLICAS})
 */
public record RedisConfig(
    URI url,
    List<HostPort> clusterNodes,
    Optional<Secret> password,
    Optional<URI> inboxUrl,
    Duration socketTimeout,
    Duration block,
    boolean waitReplicas) {

  public RedisConfig {
    clusterNodes = List.copyOf(clusterNodes);
    if (block.compareTo(socketTimeout.dividedBy(2)) > 0) {
      throw new ConfigException(
          "CONVEYOR_REDIS_BLOCK must be at most half of CONVEYOR_REDIS_TIMEOUT ("
              + socketTimeout
              + "), was "
              + block);
    }
  }

  /** A Redis server address. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /** How long a dispatcher waits for its writes to reach the replicas: half the timeout. */
  public Duration replicaWait() {
    return socketTimeout.dividedBy(2);
  }

  /**
   * The same Redis with another socket timeout (the connect timeout follows it); the blocking wait
   * is cut to half of it where it was longer.
   */
  public RedisConfig withTimeout(Duration timeout) {
    Duration half = timeout.dividedBy(2);
    return new RedisConfig(
        url,
        clusterNodes,
        password,
        inboxUrl,
        timeout,
        block.compareTo(half) > 0 ? half : block,
        waitReplicas);
  }

  public boolean cluster() {
    return !clusterNodes.isEmpty();
  }

  /** Whether the inbox is on a Redis of its own (not the runtime Redis). */
  public boolean inboxElsewhere() {
    return inboxUrl.isPresent() && (cluster() || !inboxUrl.get().equals(url));
  }

  static RedisConfig from(Env env) {
    URI url = env.parsed("CONVEYOR_REDIS_URL", "redis://localhost:6379", RedisConfig::parseUrl);
    List<HostPort> nodes =
        env.optional("CONVEYOR_REDIS_CLUSTER")
            .map(v -> env.parsed("CONVEYOR_REDIS_CLUSTER", v, RedisConfig::parseNodes))
            .orElse(List.of());
    Optional<URI> inbox =
        env.optional("CONVEYOR_INBOX_URL")
            .map(v -> env.parsed("CONVEYOR_INBOX_URL", v, RedisConfig::parseUrl));
    Duration timeout =
        env.duration("CONVEYOR_REDIS_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(100));
    Duration block =
        env.duration("CONVEYOR_REDIS_BLOCK", Duration.ofSeconds(5), Duration.ofMillis(1));
    boolean waitReplicas = env.bool("CONVEYOR_REDIS_WAIT_REPLICAS", true);
    return new RedisConfig(
        url, nodes, env.secret("CONVEYOR_REDIS_PASSWORD"), inbox, timeout, block, waitReplicas);
  }

  /** Parses and checks a redis:// or rediss:// URL. */
  public static URI parseUrl(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("must be a URL like redis://host:6379");
    }
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new IllegalArgumentException("must start with redis:// or rediss:// (TLS)");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new IllegalArgumentException("must name a host, e.g. redis://redis:6379");
    }
    String path = uri.getPath();
    if (path != null
        && !path.isEmpty()
        && !path.equals("/")
        && !path.substring(1).matches("\\d{1,2}")) {
      throw new IllegalArgumentException("may only have a database number as its path, e.g. /0");
    }
    return uri;
  }

  static List<HostPort> parseNodes(String text) {
    List<HostPort> nodes = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.strip();
      int colon = p.lastIndexOf(':');
      if (colon <= 0 || colon == p.length() - 1) {
        throw new IllegalArgumentException("must be a list host:port,host:port");
      }
      int port;
      try {
        port = Integer.parseInt(p.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("must be a list host:port,host:port");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("has a port outside 1..65535");
      }
      nodes.add(new HostPort(p.substring(0, colon), port));
    }
    return nodes;
  }

  @Override
  public String toString() {
    return "RedisConfig[url="
        + Masks.url(url.toString())
        + ", clusterNodes="
        + clusterNodes
        + ", password="
        + password
        + ", inboxUrl="
        + inboxUrl.map(u -> Masks.url(u.toString()))
        + ", socketTimeout="
        + socketTimeout
        + ", block="
        + block
        + "]";
  }
}
