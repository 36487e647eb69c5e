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
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The whole trio as real processes: messages/s and latency (inbox → task delivered) for the {@code
 * ner} pipeline and a one-step identity pipeline, with a backlog of 10k and of 1M messages (the
 * intake holds back; throughput must not fall), paced and one message at a time, the CPU per
 * message by role, the CPU a task's cleanup costs afterwards, the daemons' memory and Redis memory
 * per task in flight. The baseline, in the same run, is the bare stream → PostgreSQL copy loop of
 * {@link ProcessorBench}. Run with {@code deploy/bin/bench endToEnd} ({@code BENCH_MESSAGES} scales
 * the 10k runs; {@code BENCH_BIG} the 1M run).
 */
@WithServices
class EndToEndBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 10_000);
  private static final int BIG = Integer.getInteger("bench.big", 1_000_000);
  private static final int PACED = 3_000;
  private static final int LONE = 100;
  static final String TEXT =
      "Acme Widgets Ltd. hired Jane Q. Smith and Ludwig van Beethoven as advisers; the Free Software"
          + " Foundation, Inc. and Globex Corporation were not amused, said Maria Garcia.";
  private static final String PAYLOAD = "{\"text\":\"" + TEXT + "\"}";

  @Test
  void endToEnd(TestServices services, @TempDir Path dir) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.bare_rows (task_id text, part int, text text, PRIMARY KEY (task_id, part))");
    Files.copy(Repo.root().resolve("deploy/pipelines/ner.yaml"), dir.resolve("ner.yaml"));
    Files.copy(Repo.root().resolve("deploy/pipelines/echo.yaml"), dir.resolve("echo.yaml"));
    Files.createDirectories(dir.resolve("data"));
    Files.copy(
        Repo.root().resolve("deploy/pipelines/data/first_names.txt"),
        dir.resolve("data/first_names.txt"));
    Files.copy(
        Repo.root().resolve("deploy/pipelines/data/person_words.txt"),
        dir.resolve("data/person_words.txt"));
    Files.writeString(
        dir.resolve("identity.yaml"),
        """
        pipeline: identity
        version: 1
        cleanup: {mode: force}
        steps:
          - {name: same, kind: java, class: dev.conveyor.runtime.step.builtin.Identity, batch: 500, offset: 100ms}
          - {name: deliver, kind: sink, after: same, batch: 500, offset: 100ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    StringBuilder md = new StringBuilder();
    md.append("### End to end\n\n`deploy/bin/bench endToEnd` — ")
        .append(BenchReport.Machine.describe())
        .append(
            "\n\n| run | messages | seconds | messages/s | latency p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|---:|---:|\n");
    md.append(bareLoopRow(services, MESSAGES));
    List<DaemonProcess> daemons = startTrio(services, dir, "bench-e2e");
    StringBuilder cpu = new StringBuilder();
    String cleanupRow;
    try {
      await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
      Map<Long, String> roles = new HashMap<>();
      daemons.forEach(d -> roles.put(d.pid(), d.name()));
      CpuSplit before = CpuSplit.take(roles);
      run(
          services,
          md,
          "identity, backlog " + String.format(Locale.ROOT, "%,d", MESSAGES),
          "identity",
          "id10k",
          MESSAGES,
          "{\"text\":\"" + TEXT + "\"}");
      before = cpuRow(cpu, "identity, backlog " + count(MESSAGES), before, roles, MESSAGES);
      run(
          services,
          md,
          "echo (sink only), backlog " + String.format(Locale.ROOT, "%,d", 2 * MESSAGES),
          "echo",
          "echo20k",
          2 * MESSAGES,
          "{\"text\":\"" + TEXT + "\"}");
      before = cpuRow(cpu, "echo, backlog " + count(2 * MESSAGES), before, roles, 2 * MESSAGES);
      run(
          services,
          md,
          "ner, backlog " + String.format(Locale.ROOT, "%,d", MESSAGES),
          "ner",
          "ner10k",
          MESSAGES,
          "{\"text\":\"" + TEXT + "\"}");
      before = cpuRow(cpu, "ner, backlog " + count(MESSAGES), before, roles, MESSAGES);
      // why: paced before the big backlog, whose cleanup (patrol deleting a million tasks' runtime
      // data) would otherwise run beside them: their latency is the trio's own
      paced(
          services,
          md,
          "identity, paced at 200 messages/s",
          "identity",
          "idpaced",
          PACED,
          "{\"text\":\"" + TEXT + "\"}");
      before = cpuRow(cpu, "identity, paced", before, roles, PACED);
      paced(
          services,
          md,
          "ner, paced at 200 messages/s",
          "ner",
          "nerpaced",
          PACED,
          "{\"text\":\"" + TEXT + "\"}");
      before = cpuRow(cpu, "ner, paced", before, roles, PACED);
      LoneMessages.run(
          services, md, "identity, alone (one every 100 ms)", "identity", "idlone", LONE, PAYLOAD);
      LoneMessages.run(
          services, md, "ner, alone (one every 100 ms)", "ner", "nerlone", LONE, PAYLOAD);
      before = CpuSplit.take(roles);
      run(
          services,
          md,
          "identity, backlog " + String.format(Locale.ROOT, "%,d", BIG) + " (timed over all)",
          "identity",
          "id1m",
          BIG,
          "{\"text\":\"" + TEXT + "\"}");
      before =
          cpuRow(
              cpu,
              "identity, backlog " + String.format(Locale.ROOT, "%,d", BIG),
              before,
              roles,
              BIG);
      md.append("\nCPU per message, µs, read from /proc while each run went (publishing included:")
          .append(" Redis's share holds the XADD of every message):\n\n")
          .append(CpuSplit.header("run"))
          .append('\n')
          .append(cpu);
      md.append("\nDaemons' resident memory (-Xmx1g) right after the last run: ");
      for (DaemonProcess d : daemons) {
        md.append(d.name()).append(' ').append(rssMb(d.pid())).append(" MiB; ");
      }
      // why: a daemon gives back the heap a burst left once it has been quiet for 30 s (G1's
      // periodic collection); patrol is quiet only once it has cleaned up after the backlog
      long cleaning = System.nanoTime();
      cleanupRow = CleanupCost.afterTheRuns(services, roles);
      Thread.sleep(60_000);
      md.append(
          String.format(
              Locale.ROOT,
              "once patrol had cleaned up (%.0f s) and 60 s more: ",
              (System.nanoTime() - cleaning) / 1e9));
      for (DaemonProcess d : daemons) {
        md.append(d.name()).append(' ').append(rssMb(d.pid())).append(" MiB; ");
      }
      md.append('\n');
      String jcmd = System.getProperty("bench.jcmd", "");
      if (!jcmd.isEmpty()) {
        // why: bench.jcmd asks each daemon's JVM before it stops (e.g. "VM.native_memory summary"
        // with -XX:NativeMemoryTracking=summary in bench.jvm): where its memory went
        for (DaemonProcess d : daemons) {
          List<String> command = new ArrayList<>(List.of("jcmd", Long.toString(d.pid())));
          command.addAll(List.of(jcmd.split(" ")));
          Path out = Repo.root().resolve("e2e/target/bench/jcmd-" + d.name() + ".txt");
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start()
              .waitFor();
        }
      }
    } finally {
      for (DaemonProcess d : daemons) {
        d.stop(Duration.ofSeconds(30));
      }
    }
    md.append(
            "\nCPU per task cleaned up, µs, read from /proc as patrol cleaned up after the runs:\n\n")
        .append(CpuSplit.header("cleanup"))
        .append('\n')
        .append(cleanupRow)
        .append('\n');
    md.append("\nRedis memory per task in flight (")
        .append(String.format(Locale.ROOT, "%,d", MESSAGES))
        .append(" ner tasks of one part registered and fanned out, nothing processing): ")
        .append(memoryPerTask(services, dir))
        .append(" bytes\n");
    Path out = Repo.root().resolve("e2e/target/bench/end-to-end.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static CpuSplit cpuRow(
      StringBuilder cpu, String label, CpuSplit before, Map<Long, String> roles, int n) {
    CpuSplit now = CpuSplit.take(roles);
    cpu.append(CpuSplit.row(label, now.perItem(before, n))).append('\n');
    return CpuSplit.take(roles);
  }

  /**
   * Publishes n messages at 200 per second, below capacity, so the latency is the trio's, not time
   * spent waiting in a backlog.
   */
  private static void paced(
      TestServices services,
      StringBuilder md,
      String label,
      String pipeline,
      String prefix,
      int n,
      String payload)
      throws InterruptedException {
    java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    try (var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor()) {
      var done = new java.util.concurrent.CountDownLatch(1);
      timer.scheduleAtFixedRate(
          () -> {
            try (AbstractPipeline p = services.jedis().pipelined()) {
              for (int k = 0; k < 20 && sent.get() < n; k++) {
                int i = sent.getAndIncrement();
                p.xadd(
                    services.keys().inbox(),
                    StreamEntryID.NEW_ENTRY,
                    Map.of("pipeline", pipeline, "id", prefix + "-" + i, "payload", payload));
              }
              p.sync();
            }
            if (sent.get() >= n) {
              done.countDown();
            }
          },
          0,
          100,
          java.util.concurrent.TimeUnit.MILLISECONDS);
      done.await();
    }
    measure(services, md, label, prefix, n);
  }

  /** The bare stream → PostgreSQL copy loop over {@code n} entries, as a row of the runs' table. */
  static String bareLoopRow(TestServices services, int n) throws Exception {
    double bare = ProcessorBenchBaseline.copy(services, n);
    return String.format(
        Locale.ROOT,
        "| bare stream → PostgreSQL copy loop | %,d | %.2f | %,.0f | | |%n",
        n,
        bare,
        n / bare);
  }

  /**
   * Starts the three daemons as processes (-Xmx1g and {@code bench.jvm}; patrol every 2 s) on the
   * pipelines in {@code pipelines}, their logs under {@code e2e/target/e2e-logs/<logs>}.
   */
  static List<DaemonProcess> startTrio(TestServices services, Path pipelines, String logs) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    env.put("JAVA_OPTS", ("-Xmx1g " + System.getProperty("bench.jvm", "")).strip());
    Path logDir = Repo.root().resolve("e2e/target/e2e-logs").resolve(logs);
    List<DaemonProcess> daemons = new ArrayList<>();
    for (String d : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(d, env, logDir).start());
    }
    return daemons;
  }

  /** Publishes n messages at once and times them from the first audit row to the last. */
  static void run(
      TestServices services,
      StringBuilder md,
      String label,
      String pipeline,
      String prefix,
      int n,
      String payload) {
    UnifiedJedis jedis = services.jedis();
    for (int from = 0; from < n; from += 5_000) {
      try (AbstractPipeline p = jedis.pipelined()) {
        for (int i = from; i < Math.min(n, from + 5_000); i++) {
          p.xadd(
              services.keys().inbox(),
              StreamEntryID.NEW_ENTRY,
              Map.of("pipeline", pipeline, "id", prefix + "-" + i, "payload", payload));
        }
        p.sync();
      }
    }
    measure(services, md, label, prefix, n);
  }

  static void measure(TestServices services, StringBuilder md, String label, String prefix, int n) {
    String done = "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE '" + prefix + "-%'";
    // why: the count scans every audit row (a million after the big run), twice a second: it
    // took a core of PostgreSQL from the trio it measures; the last message's row, by its key,
    // costs nothing, and the count runs once that is there
    String last =
        "SELECT count(*) FROM conveyor.task_audit WHERE task_id = '" + prefix + "-" + (n - 1) + "'";
    await()
        .atMost(Duration.ofMinutes(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> services.queryLong(last) == 1);
    await()
        .atMost(Duration.ofMinutes(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> services.queryLong(done) == n);
    String span =
        "SELECT extract(epoch FROM max(finished_at) - min(finished_at)),"
            + " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - received_at) * 1000),"
            + " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - received_at) * 1000)"
            + " FROM conveyor.task_audit WHERE task_id LIKE '"
            + prefix
            + "-%'";
    double[] v = new double[3];
    try (var c = services.dataSource().getConnection();
        var rs = c.createStatement().executeQuery(span)) {
      rs.next();
      for (int i = 0; i < 3; i++) {
        v[i] = rs.getDouble(i + 1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    String row =
        String.format(
            Locale.ROOT,
            "| %s | %,d | %.2f | %,.0f | %,.0f | %,.0f |%n",
            label,
            n,
            v[0],
            n / v[0],
            v[1],
            v[2]);
    System.out.print("bench: " + row);
    md.append(row);
  }

  private static String count(int n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  static long rssMb(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
            .filter(l -> l.startsWith("VmRSS:"))
            .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
            .findFirst()
            .orElseThrow()
        / 1024;
  }

  private static long memoryPerTask(TestServices services, Path dir) throws Exception {
    Pipeline ner = PipelineLoader.loadFile(dir.resolve("ner.yaml"));
    long before = usedMemory(services.jedis());
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    for (int from = 0; from < MESSAGES; from += 1000) {
      List<Registration> batch = new ArrayList<>();
      for (int i = from; i < Math.min(MESSAGES, from + 1000); i++) {
        batch.add(
            new Registration(
                "mem-" + i,
                ner,
                "1-" + i,
                Instant.now(),
                List.of("{\"text\":\"" + TEXT + "\",\"offset\":0}")));
      }
      intake.registerAll(batch);
      intake.dispatchAll(batch);
    }
    return (usedMemory(services.jedis()) - before) / MESSAGES;
  }

  private static long usedMemory(UnifiedJedis jedis) {
    return jedis
        .info("memory")
        .lines()
        .filter(l -> l.startsWith("used_memory:"))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip()))
        .findFirst()
        .orElseThrow();
  }
}
