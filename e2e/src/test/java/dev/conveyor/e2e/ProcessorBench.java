package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.UnifiedJedis;

/**
 * The processor alone: items already queued for a pipeline's entry step, delivered into PostgreSQL
 * by the processor jar (a real process), for pipelines of 0 to 3 identity steps before the sink
 * (the per-hop overhead), next to a bare Redis stream → PostgreSQL copy loop in the same run. Then
 * what an idle processor costs (PostgreSQL transactions and Redis commands per second) and the
 * processor's resident memory. Run with {@code deploy/bin/bench processor}.
 */
@WithServices
class ProcessorBench {
  private static final int ITEMS = Integer.getInteger("bench.messages", 20_000);
  private static final int BATCH = 500;
  private static final String IDENTITY = "dev.conveyor.runtime.step.builtin.Identity";

  @Test
  void throughputPerHopIdleCostAndMemory(TestServices services, @TempDir Path dir)
      throws Exception {
    services.sql(
        "CREATE TABLE conveyor.bare_rows (task_id text, part int, text text, PRIMARY KEY (task_id, part))");
    BenchReport report =
        new BenchReport(
            "Processor, " + ITEMS + " items queued, delivered into PostgreSQL",
            "deploy/bin/bench processor");
    report.row(
        "bare stream → PostgreSQL copy loop (batches of " + BATCH + ")", ITEMS, bareCopy(services));
    for (int hops = 0; hops <= 3; hops++) {
      report.row(
          "processor, sink only"
              .replace(
                  "sink only",
                  hops == 0
                      ? "sink only"
                      : hops + " identity step" + (hops > 1 ? "s" : "") + " + sink"),
          ITEMS,
          run(services, dir, hops));
    }
    report.write("processor");
    idleAndMemory(services, dir);
  }

  private static double bareCopy(TestServices services) throws Exception {
    return ProcessorBenchBaseline.copy(services, ITEMS);
  }

  /** Pipeline {@code hopsN}: N identity steps, then the sink into echo_rows. */
  private static double run(TestServices services, Path dir, int hops) throws Exception {
    String name = "hops" + hops;
    Path pipelines = Files.createDirectories(dir.resolve(name));
    StringBuilder yaml =
        new StringBuilder(
            "pipeline: "
                + name
                + "\nversion: 1\nmax_in_flight: 10000000\n"
                + "defaults: {batch: "
                + BATCH
                + ", offset: 100ms}\nsteps:\n");
    String previous = null;
    for (int h = 1; h <= hops; h++) {
      yaml.append("  - {name: s")
          .append(h)
          .append(", kind: java, class: ")
          .append(IDENTITY)
          .append(previous == null ? "" : ", after: " + previous)
          .append("}\n");
      previous = "s" + h;
    }
    yaml.append("  - {name: deliver, kind: sink")
        .append(previous == null ? "" : ", after: " + previous)
        .append(", sink: {table: conveyor.echo_rows, key: [task_id, part]}}\n");
    Files.writeString(pipelines.resolve(name + ".yaml"), yaml);
    Pipeline pipeline = PipelineLoader.parse(yaml.toString(), name + ".yaml");

    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    for (int from = 0; from < ITEMS; from += 1000) {
      List<Registration> tasks = new ArrayList<>();
      for (int i = from; i < Math.min(ITEMS, from + 1000); i++) {
        tasks.add(
            new Registration(
                name + "-" + i,
                pipeline,
                "1-" + i,
                Instant.now(),
                List.of("{\"text\":\"item " + i + "\"}")));
      }
      intake.registerAll(tasks);
      intake.dispatchAll(tasks);
    }
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("JAVA_OPTS", "-Xmx512m");
    DaemonProcess processor =
        new DaemonProcess(
                "processor",
                env,
                Repo.root().resolve("e2e/target/e2e-logs/bench-processor-" + name))
            .start();
    try {
      String rows = "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE '" + name + "-%'";
      long[] first = {0};
      long[] atFirst = {0};
      await()
          .atMost(300, SECONDS)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> {
            long n = services.queryLong(rows);
            if (n > 0 && first[0] == 0) {
              first[0] = System.nanoTime();
              atFirst[0] = n;
            }
            return n == ITEMS;
          });
      double seconds = (System.nanoTime() - first[0]) / 1e9;
      await()
          .atMost(60, SECONDS)
          .until(() -> services.jedis().zcard(services.keys().inflight(name)) == 0);
      return seconds * ITEMS / (ITEMS - atFirst[0]);
    } finally {
      processor.stop(Duration.ofSeconds(30));
    }
  }

  /** An idle processor with the four pipelines loaded: what it asks of PostgreSQL and Redis. */
  private static void idleAndMemory(TestServices services, Path dir) throws Exception {
    Path all = Files.createDirectories(dir.resolve("all"));
    for (int hops = 0; hops <= 3; hops++) {
      Files.copy(
          dir.resolve("hops" + hops).resolve("hops" + hops + ".yaml"),
          all.resolve("hops" + hops + ".yaml"));
    }
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", all.toString());
    env.put("JAVA_OPTS", "-Xmx512m");
    DaemonProcess processor =
        new DaemonProcess(
                "processor", env, Repo.root().resolve("e2e/target/e2e-logs/bench-processor-idle"))
            .start();
    try {
      await().atMost(60, SECONDS).until(processor::healthy);
      // why: let start-up (chains, first ticks) settle before measuring the steady state
      await().pollDelay(Duration.ofSeconds(10)).atMost(11, SECONDS).until(() -> true);
      String xacts =
          "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()";
      long x0 = services.queryLong(xacts);
      long r0 = redisCommands(services.jedis());
      long t0 = System.nanoTime();
      await().pollDelay(Duration.ofSeconds(30)).atMost(31, SECONDS).until(() -> true);
      double s = (System.nanoTime() - t0) / 1e9;
      // why: the two statistics queries of this measurement are not the processor's
      double pgPerSecond = (services.queryLong(xacts) - x0 - 1) / s;
      double redisPerSecond = (redisCommands(services.jedis()) - r0 - 2) / s;
      long rssKb = rssKb(processor.pid());
      String md =
          String.format(
              java.util.Locale.ROOT,
              "%n### Idle processor (4 pipelines, 10 step shards, nothing to do), measured over %.0f s%n%n"
                  + "| PostgreSQL transactions/s | Redis commands/s | processor RSS (MiB, -Xmx512m) |%n|---:|---:|---:|%n"
                  + "| %.1f | %.1f | %.0f |%n",
              s,
              pgPerSecond,
              redisPerSecond,
              rssKb / 1024.0);
      System.out.println("bench: " + md);
      Files.writeString(
          Repo.root().resolve("e2e/target/bench/processor.md"),
          md,
          java.nio.file.StandardOpenOption.APPEND);
    } finally {
      processor.stop(Duration.ofSeconds(30));
    }
  }

  private static long redisCommands(UnifiedJedis jedis) {
    return jedis
        .info("stats")
        .lines()
        .filter(l -> l.startsWith("total_commands_processed:"))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip()))
        .findFirst()
        .orElseThrow();
  }

  private static long rssKb(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
        .findFirst()
        .orElseThrow();
  }
}
