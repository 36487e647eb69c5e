package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a freshly started trio pays to warm up: the same {@code echo} backlog twice, first right
 * after start (the JVMs' just-in-time compilers at work beside the daemons), then again, with the
 * bare stream → PostgreSQL copy loop of the same run as the baseline. Per run: messages/s, the CPU
 * split per message, and the CPU seconds the daemons' compiler threads ({@code C1}/{@code C2
 * CompilerThread}) spent. Run with {@code deploy/bin/bench warmup} ({@code BENCH_MESSAGES} sets the
 * backlog, 100,000 by default; {@code BENCH_PIPELINE=ner} runs {@code ner} instead of {@code
 * echo}).
 */
@WithServices
class WarmupBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 100_000);

  /** {@code echo} (one sink step) or {@code ner} (five steps: a join, a task-scope gather). */
  private static final String PIPELINE = System.getProperty("bench.pipeline", "echo");

  @Test
  void coldThenWarm(TestServices services, @TempDir Path dir) throws Exception {
    Files.copy(
        Repo.root().resolve("deploy/pipelines/" + PIPELINE + ".yaml"),
        dir.resolve(PIPELINE + ".yaml"));
    if (PIPELINE.equals("ner")) {
      Files.createDirectories(dir.resolve("data"));
      for (String file : List.of("first_names.txt", "person_words.txt")) {
        Files.copy(
            Repo.root().resolve("deploy/pipelines/data/" + file), dir.resolve("data/" + file));
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("### Warm-up: `")
        .append(PIPELINE)
        .append("` right after start, then again\n\n`deploy/bin/bench warmup` — ")
        .append(BenchReport.Machine.describe())
        .append(
            "\n\n| run | messages | seconds | messages/s | latency p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|---:|---:|\n");
    services.sql(
        "CREATE TABLE IF NOT EXISTS conveyor.bare_rows (task_id text, part int, text text,"
            + " PRIMARY KEY (task_id, part))");
    md.append(EndToEndBench.bareLoopRow(services, MESSAGES));
    List<DaemonProcess> daemons = EndToEndBench.startTrio(services, dir, "bench-warmup");
    StringBuilder cpu = new StringBuilder();
    StringBuilder jit = new StringBuilder();
    StringBuilder redis = new StringBuilder();
    String payload = "{\"text\":\"" + EndToEndBench.TEXT + "\"}";
    try {
      await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
      Map<Long, String> roles = new HashMap<>();
      daemons.forEach(d -> roles.put(d.pid(), d.name()));
      for (String run : List.of("cold", "warm")) {
        String label =
            PIPELINE
                + ", backlog "
                + String.format(Locale.ROOT, "%,d", MESSAGES)
                + (run.equals("cold") ? ", right after start" : ", again");
        CpuSplit before = CpuSplit.take(roles);
        RedisCommandStats commandsBefore = RedisCommandStats.take(services.jedis());
        Map<String, Long> compiledBefore = compilerTicks(daemons);
        EndToEndBench.run(services, md, label, PIPELINE, run, MESSAGES, payload);
        cpu.append(CpuSplit.row(label, CpuSplit.take(roles).perItem(before, MESSAGES)))
            .append('\n');
        redis.append(
            RedisCommandStats.take(services.jedis()).perItem(commandsBefore, MESSAGES, label, 12));
        Map<String, Long> compiled = compilerTicks(daemons);
        jit.append("| ").append(label).append(" |");
        for (DaemonProcess d : daemons) {
          long ticks = compiled.get(d.name()) - compiledBefore.get(d.name());
          jit.append(String.format(Locale.ROOT, " %.2f |", ticks / 100.0));
        }
        jit.append('\n');
      }
    } finally {
      for (DaemonProcess d : daemons) {
        d.stop(Duration.ofSeconds(30));
      }
    }
    md.append("\nCPU per message, µs, read from /proc while each run went:\n\n")
        .append(CpuSplit.header("run"))
        .append('\n')
        .append(cpu)
        .append(
            "\nCPU seconds of the daemons' compiler threads (C1 and C2) while each run went:\n\n"
                + "| run | dispatcher | processor | patrol |\n|---|---:|---:|---:|\n")
        .append(jit)
        .append(
            "\nRedis's commands per message while each run went (INFO commandstats; a script's"
                + " commands also count inside its EVALSHA):\n\n")
        .append(RedisCommandStats.header())
        .append('\n')
        .append(redis);
    Path out = Repo.root().resolve("e2e/target/bench/warmup.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /** Clock ticks (10 ms) the JIT compiler threads of each daemon's JVM have used so far. */
  private static Map<String, Long> compilerTicks(List<DaemonProcess> daemons) throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (DaemonProcess d : daemons) {
      long ticks = 0;
      try (Stream<Path> threads = Files.list(Path.of("/proc/" + d.pid() + "/task"))) {
        for (Path t : (Iterable<Path>) threads::iterator) {
          String comm = read(t.resolve("comm"));
          if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            String stat = read(t.resolve("stat"));
            if (stat.isEmpty()) {
              continue;
            }
            // why: after "tid (comm) " the fields are state(3) ... utime(14) stime(15); comm
            // holds spaces, so count from the closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
          }
        }
      }
      out.put(d.name(), ticks);
    }
    return out;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return ""; // why: the thread ended between the listing and the read
    }
  }
}
