package dev.conveyor.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The CPU time the processes of a benchmark spent, by role — each daemon, its command steps'
 * programs, Redis, PostgreSQL — read from {@code /proc/<pid>/stat} (user + system time of the
 * process and of its children that ended). {@link #take} a snapshot before and after a run; {@link
 * #perItem} divides the difference by the items of the run. Resolution: one clock tick (10 ms), so
 * a run should last seconds.
 */
final class CpuSplit {
  private static final double TICK_MICROS = 10_000; // USER_HZ is 100 on Linux

  /** Role names in the order a report shows them. */
  static final List<String> ROLES =
      List.of("dispatcher", "processor", "patrol", "steps", "redis", "postgres");

  private final Map<String, Long> ticks;

  private CpuSplit(Map<String, Long> ticks) {
    this.ticks = ticks;
  }

  /**
   * CPU ticks per role now. {@code daemons}: the daemons' JVMs by role (a role may have several);
   * command-step programs are the live descendants of those JVMs; Redis and PostgreSQL are every
   * {@code redis-server} and {@code postgres} process of the machine.
   */
  static CpuSplit take(Map<Long, String> daemons) {
    Map<String, Long> ticks = new TreeMap<>();
    for (var d : daemons.entrySet()) {
      ticks.merge(d.getValue(), ticksOf(d.getKey()), Long::sum);
      long steps =
          ProcessHandle.of(d.getKey())
              .map(p -> p.descendants().mapToLong(c -> ticksOf(c.pid())).sum())
              .orElse(0L);
      ticks.merge("steps", steps, Long::sum);
    }
    try (Stream<Path> all = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String comm = read(p.resolve("comm")).strip();
        String role =
            comm.equals("redis-server")
                ? "redis"
                : comm.equals("postgres") || comm.startsWith("postgres:") ? "postgres" : null;
        if (role != null) {
          ticks.merge(role, ticksOf(Long.parseLong(name)), Long::sum);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new CpuSplit(ticks);
  }

  /** Microseconds of CPU per item, by role, from {@code before} to this snapshot. */
  Map<String, Double> perItem(CpuSplit before, long items) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String role : ROLES) {
      long d = ticks.getOrDefault(role, 0L) - before.ticks.getOrDefault(role, 0L);
      out.put(role, d * TICK_MICROS / items);
    }
    return out;
  }

  /** {@code µs} figures as a table row: the roles in {@link #ROLES} order, then their sum. */
  static String row(String label, Map<String, Double> micros) {
    StringBuilder row = new StringBuilder("| ").append(label).append(" |");
    double sum = 0;
    for (String role : ROLES) {
      double v = micros.getOrDefault(role, 0.0);
      sum += v;
      row.append(String.format(Locale.ROOT, " %.0f |", v));
    }
    return row.append(String.format(Locale.ROOT, " %.0f |", sum)).toString();
  }

  /** The header of {@link #row}'s table. */
  static String header(String first) {
    return "| "
        + first
        + " | "
        + String.join(" | ", ROLES)
        + " | total |\n|---|"
        + "---:|".repeat(ROLES.size() + 1);
  }

  /** Averages per role over several runs. */
  static Map<String, Double> mean(List<Map<String, Double>> runs) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String role : ROLES) {
      out.put(
          role, runs.stream().mapToDouble(r -> r.getOrDefault(role, 0.0)).average().orElse(0.0));
    }
    return out;
  }

  /** utime + stime + cutime + cstime of a process, 0 if it is gone. */
  private static long ticksOf(long pid) {
    String stat = read(Path.of("/proc/" + pid + "/stat"));
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return 0;
    }
    // why: after "pid (comm) " the fields are state(3) ... utime(14) stime(15) cutime(16)
    // cstime(17); comm may hold spaces, so count from the closing parenthesis
    String[] f = stat.substring(close + 2).split(" ");
    Function<Integer, Long> field = n -> Long.parseLong(f[n - 3]);
    return field.apply(14) + field.apply(15) + field.apply(16) + field.apply(17);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return ""; // why: the process ended between the listing and the read
    }
  }
}
