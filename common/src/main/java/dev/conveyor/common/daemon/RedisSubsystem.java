package dev.conveyor.common.daemon;

import dev.conveyor.common.config.RedisConfig;
import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.redis.RedisConnector;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import java.util.Objects;
import redis.clients.jedis.UnifiedJedis;

/**
 * A daemon's Redis clients: one for ordinary commands and one for blocking stream reads, on the
 * runtime Redis or the inbox's. Activation opens them and checks that Redis answers.
 */
public final class RedisSubsystem extends Lifecycle {
  private final RedisConfig config;
  private final Endpoint endpoint;
  private final String clientName;
  private final int maxConnections;
  private final int maxBlockingReads;
  private volatile UnifiedJedis commands;
  private volatile UnifiedJedis blocking;

  /**
   * @param maxConnections connections for ordinary commands
   * @param maxBlockingReads blocking reads that may wait at once (each holds a connection)
   */
  public RedisSubsystem(
      String name,
      RedisConfig config,
      Endpoint endpoint,
      String clientName,
      int maxConnections,
      int maxBlockingReads) {
    super(name);
    this.config = config;
    this.endpoint = endpoint;
    this.clientName = clientName;
    this.maxConnections = maxConnections;
    this.maxBlockingReads = maxBlockingReads;
  }

  /** The client for ordinary commands; available once READY. */
  public UnifiedJedis commands() {
    return Objects.requireNonNull(commands, "redis not activated");
  }

  /** The client for XREADGROUP ... BLOCK; available once READY. */
  public UnifiedJedis blocking() {
    return Objects.requireNonNull(blocking, "redis not activated");
  }

  public RedisConfig config() {
    return config;
  }

  @Override
  protected void onActivate() {
    commands = RedisConnector.connect(config, endpoint, clientName, maxConnections);
    blocking = RedisConnector.connect(config, endpoint, clientName + "-blocking", maxBlockingReads);
    commands.ping();
  }

  @Override
  protected void onComplete() {
    close();
  }

  @Override
  protected void onTerminate() {
    close();
  }

  private void close() {
    UnifiedJedis b = blocking;
    UnifiedJedis c = commands;
    if (b != null) {
      b.close();
    }
    if (c != null) {
      c.close();
    }
  }
}
