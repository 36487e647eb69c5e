package dev.conveyor.common.outage;

import dev.conveyor.common.config.RedisConfig;
import dev.conveyor.common.redis.RedisConnector;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import java.time.Duration;
import java.util.Map;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisClusterOperationException;

/**
 * Asks a Redis whether it answers, on a client of its own with timeouts of two seconds: a single
 * server must answer {@code PING} ({@code LOADING} while it reads its AOF fails it); of a Redis
 * Cluster, some node must say {@code cluster_state:ok} (every slot served).
 */
public final class RedisProbe implements ServiceProbe {
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final CommandObject<String> CLUSTER_INFO =
      new CommandObject<>(
          new CommandArguments(Protocol.Command.CLUSTER).add(Protocol.ClusterKeyword.INFO),
          BuilderFactory.STRING);

  private final RedisConfig config;
  private final Endpoint endpoint;
  private final String clientName;
  private final boolean cluster;
  private UnifiedJedis client;

  public RedisProbe(RedisConfig config, Endpoint endpoint, String clientName) {
    this.config = config.withTimeout(TIMEOUT);
    this.endpoint = endpoint;
    this.clientName = clientName;
    this.cluster =
        config.cluster() && (endpoint == Endpoint.RUNTIME || config.inboxUrl().isEmpty());
  }

  @Override
  public void check(boolean fresh) {
    if (fresh) {
      close();
    }
    try {
      if (client == null) {
        client = RedisConnector.connect(config, endpoint, clientName, 1);
      }
      if (client instanceof RedisClusterClient c) {
        checkCluster(c);
      } else {
        client.ping();
      }
    } catch (RuntimeException e) {
      if (cluster) {
        // why: a cluster client keeps the slot map it read; a new one reads it again
        close();
      }
      throw e;
    }
  }

  private static void checkCluster(RedisClusterClient c) {
    RuntimeException last = null;
    for (Map.Entry<String, ConnectionPool> node : c.getClusterNodes().entrySet()) {
      try (Connection connection = node.getValue().getResource()) {
        String info = connection.executeCommand(CLUSTER_INFO);
        if (info.contains("cluster_state:ok")) {
          return;
        }
        last =
            new JedisClusterOperationException(
                "cluster_state is not ok on " + node.getKey() + " (CLUSTER INFO)");
      } catch (RuntimeException e) {
        last = e;
      }
    }
    throw last != null ? last : new JedisClusterOperationException("no cluster node known");
  }

  @Override
  public void close() {
    UnifiedJedis c = client;
    client = null;
    if (c != null) {
      c.close();
    }
  }
}
