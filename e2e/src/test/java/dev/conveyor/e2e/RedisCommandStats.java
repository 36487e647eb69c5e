package dev.conveyor.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.UnifiedJedis;

/**
 * Redis's own count of the commands it ran, and the time it spent in them ({@code INFO
 * commandstats}), for a benchmark: {@link #take} before and after a run, then {@link #perItem}.
 * Commands a Lua script runs are counted twice: on their own and inside the script's {@code
 * EVALSHA}. Everything that talks to the Redis during the run is counted (the benchmark's own
 * {@code XADD}s too), so nothing else should.
 */
final class RedisCommandStats {
  private record Stat(long calls, long micros) {}

  private final Map<String, Stat> stats;

  private RedisCommandStats(Map<String, Stat> stats) {
    this.stats = stats;
  }

  static RedisCommandStats take(UnifiedJedis jedis) {
    Map<String, Stat> stats = new TreeMap<>();
    // cmdstat_hset:calls=12,usec=34,usec_per_call=2.83,rejected_calls=0,failed_calls=0
    for (String line : jedis.info("commandstats").split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String name = line.substring("cmdstat_".length(), line.indexOf(':'));
      long calls = 0;
      long micros = 0;
      for (String kv : line.substring(line.indexOf(':') + 1).split(",")) {
        String[] p = kv.split("=", 2);
        if (p[0].equals("calls")) {
          calls = Long.parseLong(p[1]);
        } else if (p[0].equals("usec")) {
          micros = Long.parseLong(p[1]);
        }
      }
      stats.put(name.toUpperCase(Locale.ROOT), new Stat(calls, micros));
    }
    return new RedisCommandStats(stats);
  }

  /**
   * The commands of the run from {@code before} to this, per item, those that took the most time
   * first: a Markdown row per command (calls per item, µs per call, µs per item) for the {@code
   * top} of them, then one for all.
   */
  String perItem(RedisCommandStats before, long items, String label, int top) {
    record Row(String name, double calls, double micros) {}
    List<Row> rows = new ArrayList<>();
    double calls = 0;
    double micros = 0;
    for (var e : stats.entrySet()) {
      Stat was = before.stats.getOrDefault(e.getKey(), new Stat(0, 0));
      long c = e.getValue().calls() - was.calls();
      long m = e.getValue().micros() - was.micros();
      if (c > 0) {
        rows.add(new Row(e.getKey(), (double) c / items, (double) m / items));
      }
    }
    rows.sort((a, b) -> Double.compare(b.micros(), a.micros()));
    StringBuilder md = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      calls += r.calls();
      micros += r.micros();
      if (i < top) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.3f | %.2f | %.2f |%n",
                label,
                r.name(),
                r.calls(),
                r.micros() / r.calls(),
                r.micros()));
      }
    }
    md.append(String.format(Locale.ROOT, "| %s | all | %.2f | | %.2f |%n", label, calls, micros));
    return md.toString();
  }

  static String header() {
    return "| run | command | calls per message | µs per call | µs per message |\n"
        + "|---|---|---:|---:|---:|";
  }
}
