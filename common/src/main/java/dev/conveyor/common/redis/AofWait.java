package dev.conveyor.common.redis;

import java.util.Optional;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Whether a dispatcher whose inbox is on another Redis waits, before acknowledging inbox entries,
 * until the runtime Redis has written the tasks they became to its AOF on disk ({@code WAITAOF 1
 * 0}, Redis 7.2 and later). With the inbox elsewhere, the acknowledgement and the registration are
 * on two servers: a power cut of the runtime Redis could lose a registration (the last second of an
 * {@code appendfsync everysec} AOF) whose inbox entry was acknowledged already, i.e. a message. On
 * one Redis the acknowledgement follows the registration in the same AOF, so it is lost with it.
 *
 * <p>Not used when the runtime Redis has no AOF (there is nothing to wait for) or is older than 7.2
 * (it has no {@code WAITAOF}): the dispatcher says so once at start.
 *
 * @param used whether the barrier waits for the AOF
 * @param reason why (or why not), for the start-up line
 */
public record AofWait(boolean used, String reason) {
  /** The inbox is on the runtime Redis: nothing to wait for, nothing to say. */
  public static final AofWait NOT_NEEDED =
      new AofWait(
          false, "the inbox is on the runtime Redis: acknowledgements follow registrations");

  /** Asks the runtime Redis (every node of a cluster) whether it can wait for its AOF. */
  public static AofWait detect(UnifiedJedis runtime, boolean inboxElsewhere) {
    if (!inboxElsewhere) {
      return NOT_NEEDED;
    }
    String server;
    String persistence;
    switch (runtime) {
      case RedisClusterClient cluster -> {
        for (ConnectionPool pool : cluster.getClusterNodes().values()) {
          try (Connection c = pool.getResource()) {
            AofWait node =
                of(
                    c.executeCommand(ReplicationBarrier.COMMANDS.info("server")),
                    c.executeCommand(ReplicationBarrier.COMMANDS.info("persistence")));
            if (!node.used()) {
              return node;
            }
          }
        }
        return new AofWait(true, "every node of the runtime Redis Cluster has WAITAOF and an AOF");
      }
      case RedisClient single -> {
        server = single.info("server");
        persistence = single.info("persistence");
      }
      default -> {
        server = runtime.info("server");
        persistence = runtime.info("persistence");
      }
    }
    return of(server, persistence);
  }

  /** The decision for one server, from its {@code INFO server} and {@code INFO persistence}. */
  static AofWait of(String infoServer, String infoPersistence) {
    String version = field(infoServer, "redis_version").orElse("unknown");
    if (!atLeast(version, 7, 2)) {
      return new AofWait(
          false,
          "Redis "
              + version
              + " has no WAITAOF (7.2 or later has): a power cut of the runtime Redis may lose up"
              + " to a second of registrations whose inbox entries were acknowledged");
    }
    if (!field(infoPersistence, "aof_enabled").orElse("0").equals("1")) {
      return new AofWait(
          false, "the runtime Redis has appendonly off: there is no AOF to wait for");
    }
    return new AofWait(true, "the runtime Redis (" + version + ") has WAITAOF and an AOF");
  }

  static Optional<String> field(String info, String name) {
    for (String line : info.lines().toList()) {
      if (line.startsWith(name + ":")) {
        return Optional.of(line.substring(name.length() + 1).strip());
      }
    }
    return Optional.empty();
  }

  static boolean atLeast(String version, int major, int minor) {
    String[] parts = version.split("\\.");
    try {
      int ma = Integer.parseInt(parts[0]);
      int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return ma > major || (ma == major && mi >= minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
