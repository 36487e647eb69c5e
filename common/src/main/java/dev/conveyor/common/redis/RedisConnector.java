package dev.conveyor.common.redis;

import dev.conveyor.common.config.RedisConfig;
import dev.conveyor.common.config.Secret;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.UnifiedJedis;

/**
 * Opens Jedis clients through one type, {@link UnifiedJedis}, whether Redis is a single server or a
 * Redis Cluster, so the rest of the code never knows which.
 *
 * <p>A daemon opens one client for ordinary commands and a separate one for blocking stream reads
 * (XREADGROUP ... BLOCK), so a read waiting for entries never holds a connection that other
 * commands need. BLOCK is kept at most half the socket timeout (checked by {@link RedisConfig}), so
 * a healthy blocking read always returns before the socket gives up.
 */
public final class RedisConnector {
  /** How often a cluster client re-reads which master serves which slots. */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(1);

  private RedisConnector() {}

  /** Which Redis: the runtime state, or the inbox (which may live elsewhere). */
  public enum Endpoint {
    RUNTIME,
    INBOX
  }

  /**
   * A client for {@code endpoint} with at most {@code maxConnections} connections per server.
   *
   * @param clientName shown by CLIENT LIST (no spaces)
   */
  public static UnifiedJedis connect(
      RedisConfig config, Endpoint endpoint, String clientName, int maxConnections) {
    Optional<URI> inbox = endpoint == Endpoint.INBOX ? config.inboxUrl() : Optional.empty();
    URI url = inbox.orElse(config.url());
    boolean cluster = config.cluster() && inbox.isEmpty();
    DefaultJedisClientConfig clientConfig = clientConfig(config, url, clientName, cluster);
    GenericObjectPoolConfig<Connection> pool = poolConfig(maxConnections, config.socketTimeout());
    if (cluster) {
      Set<HostAndPort> nodes = new LinkedHashSet<>();
      config.clusterNodes().forEach(n -> nodes.add(new HostAndPort(n.host(), n.port())));
      return RedisClusterClient.builder()
          .nodes(nodes)
          .clientConfig(clientConfig)
          .poolConfig(pool)
          .maxAttempts(5)
          .maxTotalRetriesDuration(config.socketTimeout().multipliedBy(2))
          // why: single commands follow MOVED and re-read the slot map themselves, pipelines do
          // not: after a failover a pipeline would be sent to the old master until something
          // else refreshed the map. One CLUSTER SLOTS a second bounds that to about a second.
          .topologyRefreshPeriod(TOPOLOGY_REFRESH)
          .build();
    }
    return RedisClient.builder()
        .hostAndPort(url.getHost(), url.getPort() < 0 ? 6379 : url.getPort())
        .clientConfig(clientConfig)
        .poolConfig(pool)
        .build();
  }

  static DefaultJedisClientConfig clientConfig(
      RedisConfig config, URI url, String clientName, boolean cluster) {
    int timeout = Math.toIntExact(config.socketTimeout().toMillis());
    DefaultJedisClientConfig.Builder b =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(Math.min(timeout, 5_000))
            .socketTimeoutMillis(timeout)
            .blockingSocketTimeoutMillis(timeout)
            .clientName(clientName.replaceAll("\\s", "_"));
    if ("rediss".equals(url.getScheme())) {
      // why: the JVM's trust store and full host verification; a private CA goes into the
      // trust store (JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=...)
      b.sslOptions(SslOptions.defaults());
    }
    String userInfo = url.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
      if (colon >= 0) {
        b.password(URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8));
      }
      if (!user.isEmpty() && colon >= 0) {
        b.user(URLDecoder.decode(user, StandardCharsets.UTF_8));
      }
    }
    config.password().map(Secret::reveal).ifPresent(b::password);
    String path = url.getPath();
    // why: a Redis Cluster has database 0 only; an inbox on a plain server may use another
    if (!cluster && path != null && path.length() > 1) {
      b.database(Integer.parseInt(path.substring(1)));
    }
    return b.build();
  }

  private static GenericObjectPoolConfig<Connection> poolConfig(int max, Duration wait) {
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(max);
    pool.setMaxIdle(max);
    pool.setMinIdle(0);
    pool.setBlockWhenExhausted(true);
    pool.setMaxWait(wait);
    pool.setTestWhileIdle(true);
    pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(30));
    pool.setJmxEnabled(false);
    return pool;
  }
}
