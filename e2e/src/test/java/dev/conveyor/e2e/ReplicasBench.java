package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput of the {@code ner} pipeline (three shards per step: fifteen chains) with 1, 2 and 3
 * processor replicas (one dispatcher, one patrol, all real processes) over the same backlog, timed
 * once every processor is at its share of the chains and after a warm-up batch, and where the CPU
 * went in each run: the daemons' own CPU seconds (from {@code /proc}), Redis's (INFO cpu) and
 * PostgreSQL's (every {@code postgres} process). Run with {@code deploy/bin/bench replicas} ({@code
 * BENCH_MESSAGES} sets the backlog, 10,000 by default).
 */
@WithServices
class ReplicasBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 10_000);

  /** Shards of every step: at least one chain of each step for each of up to three processors. */
  private static final int SHARDS = 3;

  private static final int CHAINS = 5 * SHARDS;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void replicas(TestServices services, @TempDir Path dir) throws Exception {
    String ner = Files.readString(Repo.root().resolve("deploy/pipelines/ner.yaml"));
    String sharded = ner.replace("defaults:\n", "defaults:\n  shards: " + SHARDS + "\n");
    if (sharded.equals(ner)) {
      throw new IllegalStateException("ner.yaml has no defaults: block; update ReplicasBench");
    }
    Files.writeString(dir.resolve("ner.yaml"), sharded);
    Files.createDirectories(dir.resolve("data"));
    Files.copy(
        Repo.root().resolve("deploy/pipelines/data/first_names.txt"),
        dir.resolve("data/first_names.txt"));
    Files.copy(
        Repo.root().resolve("deploy/pipelines/data/person_words.txt"),
        dir.resolve("data/person_words.txt"));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    env.put("JAVA_OPTS", "-Xmx1g");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bench-replicas");

    StringBuilder md = new StringBuilder();
    md.append("### Processor replicas\n\n`deploy/bin/bench replicas` — ")
        .append(BenchReport.Machine.describe())
        .append(
            "\n\n| run | messages | seconds | messages/s | latency p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|---:|---:|\n");
    StringBuilder cpu =
        new StringBuilder(
            "\nCPU seconds spent during each run:\n\n| processors | processors' CPU | dispatcher | patrol | Redis | PostgreSQL | wall |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    DaemonProcess dispatcher = new DaemonProcess("dispatcher", env, logs.resolve("d")).start();
    DaemonProcess patrol = new DaemonProcess("patrol", env, logs.resolve("p")).start();
    try {
      for (int n = 1; n <= 3; n++) {
        List<DaemonProcess> processors = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          processors.add(
              new DaemonProcess("processor", env, logs.resolve("run" + n + "-" + i)).start());
        }
        try {
          await()
              .atMost(60, SECONDS)
              .until(() ->
                  dispatcher.healthy()
                      && patrol.healthy()
                      && processors.stream().allMatch(DaemonProcess::healthy));
          int share = Math.ceilDiv(CHAINS, n);
          await("every processor at its share of " + share + " chains")
              .atMost(60, SECONDS)
              .ignoreExceptions()
              .until(() -> {
                for (DaemonProcess p : processors) {
                  if (JSON.readTree(p.get("/status")).path("chain_share").asInt() != share) {
                    return false;
                  }
                }
                return true;
              });
          // why: fresh JVMs; a first batch compiles the hot paths before the timed one
          EndToEndBench.run(
              services,
              new StringBuilder(),
              "warm-up",
              "ner",
              "warm" + n,
              Math.min(MESSAGES, 3_000),
              "{\"text\":\"" + EndToEndBench.TEXT + "\"}");
          Map<String, Double> before = cpu(services, dispatcher, patrol, processors);
          long start = System.nanoTime();
          EndToEndBench.run(
              services,
              md,
              "ner, " + n + (n == 1 ? " processor" : " processors"),
              "ner",
              "rep" + n,
              MESSAGES,
              "{\"text\":\"" + EndToEndBench.TEXT + "\"}");
          double wall = (System.nanoTime() - start) / 1e9;
          Map<String, Double> after = cpu(services, dispatcher, patrol, processors);
          cpu.append(String.format(Locale.ROOT, "| %d |", n));
          for (String k : after.keySet()) {
            cpu.append(String.format(Locale.ROOT, " %.1f |", after.get(k) - before.get(k)));
          }
          cpu.append(String.format(Locale.ROOT, " %.1f |%n", wall));
        } finally {
          for (DaemonProcess p : processors) {
            p.stop(Duration.ofSeconds(30));
          }
        }
      }
    } finally {
      dispatcher.stop(Duration.ofSeconds(30));
      patrol.stop(Duration.ofSeconds(30));
    }
    md.append(cpu);
    Path out = Repo.root().resolve("e2e/target/bench/replicas.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /** CPU seconds so far of the processors (together), dispatcher, patrol, Redis, PostgreSQL. */
  private static Map<String, Double> cpu(
      TestServices services,
      DaemonProcess dispatcher,
      DaemonProcess patrol,
      List<DaemonProcess> processors)
      throws IOException {
    Map<String, Double> m = new LinkedHashMap<>();
    double sum = 0;
    for (DaemonProcess p : processors) {
      sum += cpuSeconds(Path.of("/proc/" + p.pid()));
    }
    m.put("processors", sum);
    m.put("dispatcher", cpuSeconds(Path.of("/proc/" + dispatcher.pid())));
    m.put("patrol", cpuSeconds(Path.of("/proc/" + patrol.pid())));
    m.put(
        "redis",
        services
            .jedis()
            .info("cpu")
            .lines()
            .filter(l -> l.startsWith("used_cpu_sys:") || l.startsWith("used_cpu_user:"))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(':') + 1).strip()))
            .sum());
    double pg = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          if (Files.readString(p.resolve("comm")).strip().equals("postgres")) {
            pg += cpuSeconds(p);
          }
        } catch (IOException gone) {
          // the process ended while we looked
        }
      }
    }
    m.put("postgres", pg);
    return m;
  }

  /** utime + stime of a process (its own and its waited-for children's), in seconds. */
  private static double cpuSeconds(Path proc) throws IOException {
    String stat = Files.readString(proc.resolve("stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
    long ticks =
        Long.parseLong(f[11])
            + Long.parseLong(f[12])
            + Long.parseLong(f[13])
            + Long.parseLong(f[14]);
    return ticks / 100.0;
  }
}
