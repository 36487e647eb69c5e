package dev.conveyor.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.config.Masks;
import dev.conveyor.common.config.RedisConfig;
import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.RetentionConfig;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * What the CLI's commands share, each part made on first use from the same {@code CONVEYOR_*}
 * environment the daemons read: the configuration, the pipelines, a Redis client and a small
 * PostgreSQL pool. A command that needs neither service never connects (and {@code --help} or
 * {@code --version} does not even read the configuration). {@link #close()} closes what was opened.
 *
 * <p>Failures are typed so that {@link Conveyor} maps them to exit codes: a bad setting is a {@link
 * dev.conveyor.common.config.ConfigException}, a bad pipeline file a {@link
 * dev.conveyor.runtime.pipeline.PipelineException}, a service that does not answer a {@link
 * ServiceUnreachableException}. Not thread-safe: a command runs on one thread.
 */
public final class CliContext implements AutoCloseable {
  /**
   * How long connecting to PostgreSQL may take before the CLI gives up (Redis: the daemons' {@code
   * min(CONVEYOR_REDIS_TIMEOUT, 5s)}).
   */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private static final String CLIENT_NAME = "conveyor-cli";

  private final Env env;
  private ConveyorConfig config;
  private Pipelines pipelines;
  private UnifiedJedis redis;
  private UnifiedJedis inboxRedis;
  private HikariDataSource postgres;

  public CliContext(Env env) {
    this.env = env;
  }

  /** The configuration, read on first use. */
  public ConveyorConfig config() {
    if (config == null) {
      config = ConveyorConfig.from(env);
    }
    return config;
  }

  /** The retention of rows in PostgreSQL ({@code CONVEYOR_DEDUPE_WINDOW}, ...), read on use. */
  public RetentionConfig retention() {
    return RetentionConfig.from(env);
  }

  /** The Redis key layout of the configured namespace. */
  public Keys keys() {
    return new Keys(config().namespace());
  }

  /** The pipelines of {@code CONVEYOR_PIPELINES}, loaded on first use (all or nothing). */
  public Pipelines pipelines() {
    if (pipelines == null) {
      pipelines = PipelineLoader.loadDirectory(config().pipelines());
    }
    return pipelines;
  }

  /** A client on the runtime Redis, opened and pinged on first use. */
  public UnifiedJedis redis() {
    if (redis == null) {
      RedisConfig rc = config().redis();
      redis = connect(rc, RedisConnector.Endpoint.RUNTIME, redisAddress(rc));
    }
    return redis;
  }

  /**
   * A client on the Redis that holds the inbox ({@code CONVEYOR_INBOX_URL}, else the runtime one).
   */
  public UnifiedJedis inboxRedis() {
    RedisConfig rc = config().redis();
    if (rc.inboxUrl().isEmpty()) {
      return redis();
    }
    if (inboxRedis == null) {
      inboxRedis =
          connect(rc, RedisConnector.Endpoint.INBOX, Masks.url(rc.inboxUrl().get().toString()));
    }
    return inboxRedis;
  }

  /** The heartbeats of every daemon of the namespace, live or dead (from the runtime Redis). */
  public List<NodeBeat> nodes() {
    return new NodeReader(keys()).read(redis());
  }

  /** A client on the daemons' control routes, with the admin token of this environment. */
  DaemonClient daemons() {
    return new DaemonClient(config().adminToken());
  }

  /** A pool of two connections on PostgreSQL, opened on first use. */
  public DataSource postgres() {
    if (postgres == null) {
      var pg = config().pg();
      try {
        postgres = Database.clientPool(pg, CLIENT_NAME, 2, CONNECT_TIMEOUT);
      } catch (RuntimeException e) {
        // why: Hikari reports a failed first connection as its PoolInitializationException
        throw new ServiceUnreachableException("PostgreSQL", Masks.url(pg.url()), e);
      }
    }
    return postgres;
  }

  /** Closes the pool and the client, if opened; closing twice is harmless. */
  @Override
  public void close() {
    HikariDataSource pool = postgres;
    UnifiedJedis client = redis;
    UnifiedJedis inbox = inboxRedis;
    postgres = null;
    redis = null;
    inboxRedis = null;
    try {
      if (pool != null) {
        pool.close();
      }
    } finally {
      try {
        if (inbox != null) {
          inbox.close();
        }
      } finally {
        if (client != null) {
          client.close();
        }
      }
    }
  }

  /** A client on {@code endpoint}, pinged; {@code address} names it if it does not answer. */
  private static UnifiedJedis connect(
      RedisConfig rc, RedisConnector.Endpoint endpoint, String address) {
    UnifiedJedis client = null;
    try {
      client = RedisConnector.connect(rc, endpoint, CLIENT_NAME, 2);
      client.ping();
      return client;
    } catch (JedisException e) {
      if (client != null) {
        client.close();
      }
      throw new ServiceUnreachableException("Redis", address, e);
    }
  }

  private static String redisAddress(RedisConfig rc) {
    if (rc.cluster()) {
      return "cluster "
          + String.join(",", rc.clusterNodes().stream().map(Object::toString).toList());
    }
    return Masks.url(rc.url().toString());
  }
}
