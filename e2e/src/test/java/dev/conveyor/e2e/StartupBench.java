package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user sees first: a backlog of {@code echo} messages waits in the inbox, the trio
 * starts (real processes, as {@code deploy/bin/run-local} starts them), and the clock runs from the
 * processes' start to the first row delivered — and to each daemon answering {@code /health} — then
 * on to the whole backlog delivered. Several rounds, each with the daemons stopped and started
 * again over a new backlog. Run with {@code deploy/bin/bench startup} ({@code BENCH_MESSAGES}: the
 * backlog, 20,000 by default).
 */
@WithServices
class StartupBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 20_000);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

  @Test
  void startup(TestServices services, @TempDir Path dir) throws Exception {
    Files.copy(Repo.root().resolve("deploy/pipelines/echo.yaml"), dir.resolve("echo.yaml"));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    // why: the baseline: the JDK's own class-data archive only, not the daemon's that run-local
    // writes beside each jar (the flags after run-local's take precedence)
    String jdkArchive =
        "-XX:-AutoCreateSharedArchive -XX:SharedArchiveFile="
            + Path.of(System.getProperty("java.home"), "lib/server/classes.jsa");
    Map<String, String> variants = new java.util.LinkedHashMap<>();
    variants.put("JDK archive only", jdkArchive);
    variants.put("as shipped", System.getProperty("bench.jvm", ""));
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bench-startup");
    StringBuilder md = new StringBuilder();
    md.append("### Start-up\n\n`deploy/bin/bench startup` — ")
        .append(BenchReport.Machine.describe())
        .append(String.format(Locale.ROOT, ", a backlog of %,d echo messages%n%n", MESSAGES))
        .append(
            "| round | JVM | dispatcher /health (s) | processor /health (s) | patrol /health (s) |"
                + " first row (s) | backlog delivered (s) |\n|---:|---|---:|---:|---:|---:|---:|\n");
    // why: a first start as shipped writes the daemons' archives (when they stop), so that the
    // rounds measure starts with them, as every start after the first is
    warmArchives(env, logs);
    for (int round = 1; round <= ROUNDS; round++) {
      for (var variant : variants.entrySet()) {
        String jvm = variant.getValue();
        String prefix = "s" + round + variant.getKey().charAt(0);
        publish(services, prefix);
        List<DaemonProcess> daemons = new ArrayList<>();
        Map<String, Double> healthy = new HashMap<>();
        long start = System.nanoTime();
        for (String d : List.of("dispatcher", "processor", "patrol")) {
          Map<String, String> own = new HashMap<>(env);
          own.put("JAVA_OPTS", jvm.replace("{daemon}", d));
          daemons.add(new DaemonProcess(d, own, logs).start());
        }
        try {
          String rows =
              "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE '" + prefix + ".%'";
          double first = -1;
          while (first < 0 || healthy.size() < daemons.size()) {
            double now = (System.nanoTime() - start) / 1e9;
            if (now > 120) {
              throw new AssertionError("nothing delivered after 120 s: see " + logs);
            }
            for (DaemonProcess d : daemons) {
              if (!healthy.containsKey(d.name()) && d.healthy()) {
                healthy.put(d.name(), (System.nanoTime() - start) / 1e9);
              }
            }
            if (first < 0 && services.queryLong(rows) > 0) {
              first = (System.nanoTime() - start) / 1e9;
            }
            Thread.sleep(20);
          }
          await()
              .atMost(Duration.ofMinutes(10))
              .pollInterval(Duration.ofMillis(50))
              .until(() -> services.queryLong(rows) == MESSAGES);
          double all = (System.nanoTime() - start) / 1e9;
          String row =
              String.format(
                  Locale.ROOT,
                  "| %d | %s | %.2f | %.2f | %.2f | %.2f | %.2f |",
                  round,
                  variant.getKey(),
                  healthy.get("dispatcher"),
                  healthy.get("processor"),
                  healthy.get("patrol"),
                  first,
                  all);
          System.out.println("bench: " + row);
          md.append(row).append('\n');
        } finally {
          for (DaemonProcess d : daemons) {
            d.stop(Duration.ofSeconds(30));
          }
        }
      }
    }
    Path out = Repo.root().resolve("e2e/target/bench/startup.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static void warmArchives(Map<String, String> env, Path logs) throws InterruptedException {
    List<DaemonProcess> daemons = new ArrayList<>();
    for (String d : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(d, env, logs).start());
    }
    await().atMost(120, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
    for (DaemonProcess d : daemons) {
      d.stop(Duration.ofSeconds(30));
    }
  }

  private static void publish(TestServices services, String prefix) {
    Inbox.publish(
        services, "echo", prefix + ".", 0, MESSAGES, i -> "{\"text\":\"entry " + i + "\"}");
  }
}
