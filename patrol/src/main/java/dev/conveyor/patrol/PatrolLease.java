package dev.conveyor.patrol;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * A Redis lease so that, of several patrol replicas, one runs the rounds: taken with a fencing
 * token that grows at each new holder (the cleanup records it), kept by renewing it every round,
 * lost when the holder stops renewing (it died), given back on a clean stop.
 */
final class PatrolLease {
  private static final Logger log = LoggerFactory.getLogger(PatrolLease.class);
  private static final LuaScript TAKE = LuaScript.load("lease");
  private static final LuaScript RELEASE = LuaScript.load("lease_release");

  private final Supplier<UnifiedJedis> jedis;
  private final Keys keys;
  private final String holder;
  private final Duration ttl;
  private volatile long held = -1;

  PatrolLease(Supplier<UnifiedJedis> jedis, Keys keys, String holder, Duration ttl) {
    this.jedis = jedis;
    this.keys = keys;
    this.holder = holder;
    this.ttl = ttl;
  }

  /** Takes or keeps the lease; the fencing token while this patrol holds it, else empty. */
  OptionalLong hold() {
    long token =
        ((Number)
                TAKE.run(
                    jedis.get(),
                    List.of(keys.patrolLease(), keys.patrolFence()),
                    List.of(holder, Long.toString(ttl.toMillis()))))
            .longValue();
    if (token != held) {
      log.atInfo()
          .addKeyValue("event", token < 0 ? "lease_lost" : "lease_taken")
          .addKeyValue("holder", holder)
          .addKeyValue("token", token)
          .log();
      held = token;
    }
    return token < 0 ? OptionalLong.empty() : OptionalLong.of(token);
  }

  /** Gives the lease back if held, so another patrol takes over without waiting for the TTL. */
  void release() {
    RELEASE.run(jedis.get(), List.of(keys.patrolLease()), List.of(holder));
    held = -1;
  }
}
