package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.common.redis.PipelineReplies;
import dev.conveyor.common.test.OnRedisCluster;
import dev.conveyor.common.test.TestRedisCluster;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.resource.SharedResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * The trio as processes against a real Redis Cluster (three masters, three replicas), with the
 * {@code ner} pipeline as shipped: a few thousand real documents are published at a steady pace,
 * and during the load the master holding the inbox is failed over by hand ({@code CLUSTER FAILOVER}
 * on its replica) and the master holding most other keys is killed with SIGKILL, so its replica
 * takes over. Every message must end as exactly one {@code delivered} audit row, the rows must
 * equal the embedded run's, and the daemons must ride through the redirections and refused
 * connections with one log line per event and no stack trace.
 */
@WithServices
@OnRedisCluster(dedicated = true)
class RedisClusterIT {
  private static final int BASE_DOCUMENTS = 300;
  private static final int COPIES = 8;
  private static final int DOCUMENTS = BASE_DOCUMENTS * COPIES;
  private static final int CHUNK = 60;
  private static final Duration PACE = Duration.ofMillis(500);
  private final List<DaemonProcess> daemons = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void aMasterFailoverAndAKilledMasterDuringTheLoadLoseAndDuplicateNothing(
      TestServices services, @TempDir Path dir) throws Exception {
    TestRedisCluster cluster = services.cluster();
    Path pipelines = nerWithShortStuckAfter(dir);
    List<EmbeddedRun.Input> documents = copies(NerCorpus.documents(BASE_DOCUMENTS));
    assertThat(documents).as("real documents found on this machine").hasSize(DOCUMENTS);
    List<ObjectNode> expected;
    Pipeline ner = PipelineLoader.loadFile(pipelines.resolve("ner.yaml"));
    try (EmbeddedRun run = new EmbeddedRun(ner, new SharedResources()).start()) {
      expected = run.run(documents).rows();
    }

    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/redis-cluster");
    for (String daemon : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(daemon, env, logs).start());
    }
    await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));

    AtomicInteger published = new AtomicInteger();
    CompletableFuture<Void> publisher =
        CompletableFuture.runAsync(() -> publishPaced(services, documents, published));

    // 1. a manual failover of the inbox's master: the replica catches up, then takes the slots
    await().atMost(60, SECONDS).until(() -> delivered(services) >= DOCUMENTS / 5);
    HostAndPort inboxMaster = cluster.masterOf(services.keys().inbox());
    HostAndPort inboxReplica = cluster.replicaOf(inboxMaster);
    Instant failoverAt = Instant.now();
    cluster.failover(inboxReplica);
    Duration failoverSwitch = Duration.between(failoverAt, Instant.now());
    assertThat(cluster.masterOf(services.keys().inbox())).isEqualTo(inboxReplica);

    // 2. SIGKILL of the master holding most keys (not the inbox's): its replica is promoted
    await().atMost(60, SECONDS).until(() -> delivered(services) >= DOCUMENTS / 2);
    HostAndPort victim =
        cluster.masters().stream()
            .filter(m -> !m.equals(inboxReplica))
            .max(Comparator.comparingLong(RedisClusterIT::dbSize))
            .orElseThrow();
    Instant killedAt = Instant.now();
    HostAndPort heir = cluster.killMaster(victim);
    Duration killSwitch = Duration.between(killedAt, Instant.now());
    assertThat(cluster.masters()).contains(heir).doesNotContain(victim);

    publisher.get(120, SECONDS);
    assertThat(published.get()).isEqualTo(DOCUMENTS);
    await()
        .atMost(150, SECONDS)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> audited(services) == DOCUMENTS);

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE outcome <> 'delivered'"))
        .as(() -> "every message is one delivered audit row; " + whatWentWrong(services))
        .isZero();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items"))
        .as(() -> "no dead item; " + whatWentWrong(services))
        .isZero();
    assertThat(NerCorpus.rows(services)).isEqualTo(NerCorpus.normal(expected));

    List<Instant> finished = finishedTimes(services);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("documents", DOCUMENTS);
    figures.put("failover_switch_ms", failoverSwitch.toMillis());
    figures.put("failover_longest_gap_ms", longestGap(finished, failoverAt).toMillis());
    figures.put("kill_switch_ms", killSwitch.toMillis());
    figures.put("kill_longest_gap_ms", longestGap(finished, killedAt).toMillis());
    figures.put(
        "steady_longest_gap_ms",
        longestGap(finished, failoverAt.minusSeconds(6), failoverAt.minusSeconds(1)).toMillis());
    figures.put(
        "run_seconds",
        Duration.between(finished.getFirst(), finished.getLast()).toMillis() / 1000.0);
    figures.put("tasks_redriven", redriven(daemons.get(2)));
    report(figures);

    for (DaemonProcess d : daemons) {
      int code = d.stop(Duration.ofSeconds(30));
      assertThat(code).as(d.name() + " exit code after SIGTERM").isIn(0, 143);
      List<String> lines = d.logLines();
      assertThat(lines).as(d.name() + " logged no ERROR").noneMatch(l -> l.contains(" ERROR "));
      assertThat(lines)
          .as(d.name() + " logged one line per event: no stack trace")
          .noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by:"));
    }
  }

  /**
   * The shipped {@code ner} pipeline with {@code stuck_after: 15s}: a master killed with SIGKILL
   * takes with it the writes it acknowledged but had not yet sent to its replica (Redis replicates
   * asynchronously), and patrol's re-drive is what brings such a task's lost items back.
   */
  private static Path nerWithShortStuckAfter(Path dir) throws IOException {
    Path shipped = Repo.root().resolve("deploy/pipelines");
    String yaml = Files.readString(shipped.resolve("ner.yaml"));
    assertThat(yaml).contains("\ncleanup:");
    Files.writeString(
        dir.resolve("ner.yaml"), yaml.replace("\ncleanup:", "\nstuck_after: 15s\ncleanup:"));
    Files.createDirectories(dir.resolve("data"));
    Files.copy(shipped.resolve("data/first_names.txt"), dir.resolve("data/first_names.txt"));
    Files.copy(shipped.resolve("data/person_words.txt"), dir.resolve("data/person_words.txt"));
    return dir;
  }

  /** {@code copies} of each document under new ids: a few thousand tasks from real text. */
  private static List<EmbeddedRun.Input> copies(List<EmbeddedRun.Input> base) {
    List<EmbeddedRun.Input> all = new ArrayList<>();
    for (int c = 0; c < COPIES; c++) {
      for (EmbeddedRun.Input d : base) {
        all.add(new EmbeddedRun.Input("c" + c + "-" + d.taskId(), d.payload()));
      }
    }
    return all;
  }

  /**
   * Publishes in chunks at a steady pace, as producers do, so the failovers happen while the inbox
   * is written and read. A chunk that fails (its master is switching) is sent again: the ids make a
   * message sent twice a duplicate, never a second task.
   */
  private static void publishPaced(
      TestServices services, List<EmbeddedRun.Input> documents, AtomicInteger published) {
    for (int from = 0; from < documents.size(); from += CHUNK) {
      List<EmbeddedRun.Input> chunk =
          documents.subList(from, Math.min(documents.size(), from + CHUNK));
      for (int attempt = 1; ; attempt++) {
        PipelineReplies replies = new PipelineReplies();
        try {
          try (AbstractPipeline p = services.jedis().pipelined()) {
            for (EmbeddedRun.Input d : chunk) {
              replies.add(
                  p.xadd(
                      services.keys().inbox(),
                      StreamEntryID.NEW_ENTRY,
                      Map.of(
                          "pipeline", "ner", "id", d.taskId(), "payload", d.payload().toString())));
            }
            p.sync();
          }
          // why: a cluster pipeline reports MOVED or a broken connection only in the replies
          replies.check();
          break;
        } catch (RuntimeException e) {
          if (attempt == 20) {
            throw e;
          }
          LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
        }
      }
      published.addAndGet(chunk.size());
      LockSupport.parkNanos(PACE.toNanos());
    }
  }

  /**
   * For a failure's message: the audit rows that are not {@code delivered}, the dead items, and
   * every daemon's log lines naming those tasks, so that a rare failure explains itself.
   */
  private String whatWentWrong(TestServices services) {
    List<String> tasks = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    try (var c = services.dataSource().getConnection();
        var st = c.createStatement()) {
      try (var rs =
          st.executeQuery(
              "SELECT task_id, outcome, parts, failed_parts, rows_delivered, received_at,"
                  + " finished_at FROM conveyor.task_audit WHERE outcome <> 'delivered'")) {
        while (rs.next()) {
          tasks.add(rs.getString(1));
          out.append("\naudit: ");
          for (int i = 1; i <= 7; i++) {
            out.append(rs.getString(i)).append(' ');
          }
        }
      }
      try (var rs =
          st.executeQuery(
              "SELECT task_id, part, step, attempts, error, failed_at FROM conveyor.dead_items")) {
        while (rs.next()) {
          tasks.add(rs.getString(1));
          out.append("\ndead: ");
          for (int i = 1; i <= 6; i++) {
            out.append(rs.getString(i)).append(' ');
          }
        }
      }
    } catch (Exception e) {
      out.append("\n(cannot read the tables: ").append(e).append(')');
    }
    for (DaemonProcess d : daemons) {
      try {
        for (String line : d.logLines()) {
          if (tasks.stream()
              .anyMatch(t -> line.contains("=" + t + " ") || line.endsWith("=" + t))) {
            out.append("\n").append(d.name()).append(": ").append(line);
          }
        }
      } catch (IOException e) {
        out.append("\n(cannot read ").append(d.name()).append("'s log)");
      }
    }
    return out.toString();
  }

  /** How many tasks patrol re-drove (items lost with the killed master's last writes). */
  private static long redriven(DaemonProcess patrol) throws IOException {
    return patrol.logLines().stream().filter(l -> l.contains("event=task_redriven")).count();
  }

  private static long delivered(TestServices services) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'");
  }

  private static long audited(TestServices services) {
    return services.queryLong("SELECT count(*) FROM conveyor.task_audit");
  }

  private static long dbSize(HostAndPort node) {
    try (Jedis j = new Jedis(node)) {
      return j.dbSize();
    }
  }

  private static List<Instant> finishedTimes(TestServices services) throws Exception {
    List<Instant> times = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var rs =
            c.createStatement()
                .executeQuery("SELECT finished_at FROM conveyor.task_audit ORDER BY finished_at")) {
      while (rs.next()) {
        Timestamp t = rs.getTimestamp(1);
        times.add(t.toInstant());
      }
    }
    return times;
  }

  /** The longest time with no task finishing, from {@code event} to 30 s after it. */
  private static Duration longestGap(List<Instant> finished, Instant event) {
    return longestGap(finished, event, event.plusSeconds(30));
  }

  private static Duration longestGap(List<Instant> finished, Instant from, Instant to) {
    Instant previous = from;
    Duration longest = Duration.ZERO;
    for (Instant t : finished) {
      if (t.isBefore(from)) {
        continue;
      }
      if (t.isAfter(to)) {
        break;
      }
      Duration gap = Duration.between(previous, t);
      if (gap.compareTo(longest) > 0) {
        longest = gap;
      }
      previous = t;
    }
    return longest;
  }

  private static void report(Map<String, Object> figures) {
    StringBuilder line = new StringBuilder("redis-cluster");
    figures.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    try {
      Path out = Repo.root().resolve("e2e/target/redis-cluster-failover.txt");
      Files.createDirectories(out.getParent());
      Files.writeString(out, line + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
