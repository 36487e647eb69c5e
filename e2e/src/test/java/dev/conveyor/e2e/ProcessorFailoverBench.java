package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long a processor killed for good under load leaves its chains standing, with the default
 * settings: two processors share a three-step pipeline (6 chains) while a backlog drains; one is
 * killed with SIGKILL, and for every chain it held at that moment (its rows in {@code
 * qrtz_fired_triggers}: acquired or running) the bench prints the seconds from the kill to that
 * chain's first tick on the survivor (the {@code fired_time} of the survivor's row). Done twice (a
 * dies, a comes back, b dies). Run with {@code deploy/bin/bench processorFailover}; it asserts
 * nothing about timing.
 */
@WithServices
class ProcessorFailoverBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 20_000);
  // why: a tick under load lasts a slice; a row this often is never missed
  private static final Duration POLL = Duration.ofMillis(50);
  @RegisterExtension final LaunchedDaemons daemons = new LaunchedDaemons();

  @Test
  void secondsFromKillToTheDeadChainsRunningOnTheSurvivor(TestServices services, @TempDir Path dir)
      throws Exception {
    ProcessorFailoverIT.writeRelayPipeline(dir, 1_000_000);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/processor-failover-bench");
    DaemonProcess dispatcher = daemons.start(new DaemonProcess("dispatcher", env, logs));
    DaemonProcess a =
        daemons.start(
            new DaemonProcess(
                "processor", LaunchedDaemons.node(env, "processor-a"), logs.resolve("a")));
    DaemonProcess b =
        daemons.start(
            new DaemonProcess(
                "processor", LaunchedDaemons.node(env, "processor-b"), logs.resolve("b")));
    await().atMost(60, SECONDS).until(() -> dispatcher.healthy() && a.healthy() && b.healthy());

    List<String> lines = new ArrayList<>();
    publish(services, 0);
    lines.addAll(killAndMeasure(services, a, b, MESSAGES / 10));
    a.start();
    await().atMost(60, SECONDS).until(a::healthy);
    publish(services, MESSAGES);
    lines.addAll(killAndMeasure(services, b, a, MESSAGES + MESSAGES / 10));

    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "### Processor failover: SIGKILL under load, default settings (%,d messages per round)%n%n",
            MESSAGES));
    md.append("`deploy/bin/bench processorFailover` — ")
        .append(BenchReport.Machine.describe())
        .append(", ")
        .append(Instant.now().toString(), 0, 10)
        .append(
            "\n\n| killed | seen dead after (s) | chain | seconds from the kill to its first tick on the survivor |\n");
    md.append("|---|---:|---|---:|\n");
    lines.forEach(l -> md.append(l).append('\n'));
    Path out = Repo.root().resolve("e2e/target/bench/processorFailover.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println("bench: " + md);
  }

  /**
   * Waits until {@code rowsBefore} rows are delivered, kills {@code victim}, and returns a table
   * row per chain it held: the seconds until that chain fired on {@code survivor}.
   */
  private static List<String> killAndMeasure(
      TestServices services, DaemonProcess victim, DaemonProcess survivor, long rowsBefore)
      throws Exception {
    String dead = victim.env().get("CONVEYOR_NODE_ID");
    await().atMost(120, SECONDS).until(() -> rows(services) >= rowsBefore);
    Map<String, Long> held;
    long killedAt;
    try (Connection c = services.dataSource().getConnection();
        Statement s = c.createStatement()) {
      // why: killed while it holds chains, so that there is a takeover to measure
      held =
          await()
              .pollInterval(Duration.ofMillis(10))
              .atMost(60, SECONDS)
              .until(() -> firedBy(s, dead, 0, false), h -> !h.isEmpty());
      killedAt = System.currentTimeMillis();
      victim.kill();
      // why: a chain may have been acquired in the moment between the query and the kill
      held.putAll(firedBy(s, dead, 0, false));
      Set<String> chains = new TreeSet<>(held.keySet());
      Map<String, Long> takenOver = new ConcurrentHashMap<>();
      try {
        await()
            .pollInterval(POLL)
            .atMost(120, SECONDS)
            .until(() -> {
              for (Map.Entry<String, Long> e :
                  firedBy(s, survivor.env().get("CONVEYOR_NODE_ID"), killedAt, true).entrySet()) {
                if (chains.contains(e.getKey())) {
                  takenOver.putIfAbsent(e.getKey(), e.getValue());
                }
              }
              return takenOver.size() == chains.size();
            });
      } catch (ConditionTimeoutException e) {
        // why: a bench reports what it saw; the chains not taken over are listed as such
      }
      List<String> lines = new ArrayList<>();
      String detected = detected(survivor, dead, killedAt);
      for (String chain : chains) {
        Long at = takenOver.get(chain);
        lines.add(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s |",
                dead,
                detected,
                chain,
                at == null ? "not seen in 120 s" : "%.1f".formatted((at - killedAt) / 1000.0)));
        System.out.println("bench: " + lines.getLast());
      }
      if (chains.isEmpty()) {
        lines.add("| " + dead + " | " + detected + " | (held no chain at the kill) | - |");
      }
      return lines;
    }
  }

  /** Seconds from the kill to the survivor's Quartz line that it recovers the dead node's work. */
  private static String detected(DaemonProcess survivor, String dead, long killedAt)
      throws Exception {
    String marker = "Scanning for instance \"" + dead + "\"";
    for (String line : survivor.logLines().reversed()) {
      if (line.contains(marker)) {
        long at = Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
        if (at >= killedAt) {
          return String.format(Locale.ROOT, "%.1f", (at - killedAt) / 1000.0);
        }
      }
    }
    return "?";
  }

  /**
   * Chain ({@code <pipeline>.<step>.<shard>}, recovery runs included; a link only acquired is
   * recorded by trigger, without its job) → when {@code node} acquired or, with {@code running},
   * fired it.
   */
  private static Map<String, Long> firedBy(Statement s, String node, long since, boolean running)
      throws SQLException {
    Map<String, Long> fired = new LinkedHashMap<>();
    try (ResultSet r =
        s.executeQuery(
            "SELECT coalesce(job_group || '.' || job_name,"
                + " split_part(trigger_group, '.', 1) || '.' || trigger_name), fired_time"
                + " FROM conveyor.qrtz_fired_triggers"
                + " WHERE instance_name = '"
                + node
                + "' AND fired_time >= "
                + since
                + (running ? " AND state = 'EXECUTING'" : "")
                + " ORDER BY fired_time")) {
      while (r.next()) {
        fired.putIfAbsent(r.getString(1), r.getLong(2));
      }
    }
    return fired;
  }

  private static void publish(TestServices services, int from) {
    Inbox.publish(services, "relay", "m-", from, MESSAGES, i -> "{\"text\":\"message " + i + "\"}");
  }

  private static long rows(TestServices services) {
    return services.queryLong("SELECT count(*) FROM conveyor.echo_rows");
  }
}
