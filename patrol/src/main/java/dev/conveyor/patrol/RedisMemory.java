package dev.conveyor.patrol;

import dev.conveyor.common.outage.Outages;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * The runtime Redis's memory ({@code INFO memory}: {@code used_memory}, {@code maxmemory}) as
 * gauges, so that an alert can fire before Redis refuses writes. On a Redis Cluster it is the node
 * the client asks; unknown (NaN) until read once, and while Redis refuses {@code INFO}.
 */
final class RedisMemory {
  private static final Logger log = LoggerFactory.getLogger(RedisMemory.class);

  private final AtomicLong used = new AtomicLong(-1);
  private final AtomicLong max = new AtomicLong(-1);
  private boolean warned;

  RedisMemory(MeterRegistry registry) {
    Gauge.builder("conveyor_redis_used_memory", used, RedisMemory::known)
        .description("memory the runtime Redis uses (INFO used_memory)")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("conveyor_redis_maxmemory", max, RedisMemory::known)
        .description("the runtime Redis's maxmemory (0: no limit)")
        .baseUnit("bytes")
        .register(registry);
  }

  void round(UnifiedJedis jedis) {
    String info;
    try {
      info = jedis.info("memory");
    } catch (RuntimeException e) {
      if (Outages.isOutage(e)) {
        // why: an outage fails the round and goes to the service watch, as the backlog's reads do
        throw e;
      }
      // why: the gauges are a nicety, never worth a failed round (INFO renamed, not allowed, or not
      // routed by the cluster client): they stay unknown
      if (!warned) {
        log.atWarn()
            .addKeyValue("event", "redis_memory_unknown")
            .addKeyValue("error", String.valueOf(e))
            .log();
        warned = true;
      }
      return;
    }
    warned = false;
    info.lines()
        .forEach(line -> {
          if (line.startsWith("used_memory:")) {
            used.set(parse(line));
          } else if (line.startsWith("maxmemory:")) {
            max.set(parse(line));
          }
        });
  }

  private static long parse(String line) {
    try {
      return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static double known(AtomicLong value) {
    long v = value.get();
    return v < 0 ? Double.NaN : v;
  }
}
