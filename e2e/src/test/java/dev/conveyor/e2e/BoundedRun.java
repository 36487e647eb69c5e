package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * The bounded-state run (issue 13): the real trio for a while with every retention cut to seconds,
 * messages published at a steady rate — 5% of the parts dying at a step (one attempt), so that
 * tasks are held below their tolerance, released, snapshotted, and their dead items expire, and 2%
 * of the messages rejected — while Redis's key count and PostgreSQL's row counts are sampled. After
 * a warm-up they must stay flat: nothing grows with the number of tasks processed.
 */
final class BoundedRun implements AutoCloseable {
  /** What is sampled, in the order of the table. */
  static final List<String> MEASURES =
      List.of(
          "redis_keys", "task_audit", "dead_items", "task_snapshots", "rejected_messages", "held");

  private static final String STEP =
      """
      import json, sys, zlib
      # 5% of the parts die: the same ones on every run (a hash of task and part)
      for line in sys.stdin:
          item = json.loads(line)
          key = str(item["task_id"]) + ":" + str(item["part"])
          if zlib.crc32(key.encode()) % 100 < 5:
              print(json.dumps({"ok": False, "error": "refused: one part in twenty"}), flush=True)
          else:
              print(json.dumps({"ok": True, "data": {"text": item["input"]["text"]}}), flush=True)
      """;
  private static final String PIPELINE =
      """
      pipeline: steady
      version: 1
      split: {mode: text, field: text, max_chars: 60}
      cleanup: {mode: auto, tolerance: 0.0, grace: 1s}
      steps:
        - name: check
          kind: command
          command: [python3, check.py]
          offset: 100ms
          batch: 200
          retry: {attempts: 1, backoff: 100ms}
        - name: deliver
          kind: sink
          after: [check]
          offset: 100ms
          batch: 500
          sink: {table: conveyor.echo_rows, key: [task_id, part]}
      """;
  private static final String TEXT =
      "Paragraph one of message %d, long enough to be its own part.\\n\\n"
          + "Paragraph two follows, about as long as the first one was.\\n\\n"
          + "A third, shorter paragraph closes it.";

  /** One sample: seconds since the start, messages published so far, and each measure. */
  record Sample(long second, long published, Map<String, Long> values) {}

  private final TestServices services;
  private final List<DaemonProcess> daemons = new ArrayList<>();
  private final List<Sample> samples = new ArrayList<>();
  private final AtomicLong published = new AtomicLong();
  private final Map<String, String> settings = new LinkedHashMap<>();

  private BoundedRun(TestServices services) {
    this.services = services;
  }

  /** Starts the trio with every retention cut to seconds, pipeline {@code steady} loaded. */
  static BoundedRun start(TestServices services, Path dir, String name) throws IOException {
    BoundedRun run = new BoundedRun(services);
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(pipelines.resolve("check.py"), STEP);
    Files.writeString(pipelines.resolve("steady.yaml"), PIPELINE);
    run.settings.put("CONVEYOR_PATROL_INTERVAL", "1s");
    run.settings.put("CONVEYOR_HELD_RETENTION", "5s");
    run.settings.put("CONVEYOR_DEDUPE_WINDOW", "10s");
    run.settings.put("CONVEYOR_DEAD_RETENTION", "10s");
    run.settings.put("CONVEYOR_REJECTED_RETENTION", "10s");
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.putAll(run.settings);
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/" + name);
    for (String daemon : List.of("dispatcher", "processor", "patrol")) {
      run.daemons.add(new DaemonProcess(daemon, env, logs).start());
    }
    await().atMost(60, SECONDS).until(() -> run.daemons.stream().allMatch(DaemonProcess::healthy));
    return run;
  }

  /**
   * Publishes {@code perSecond} messages a second for {@code length}, sampling every {@code every}
   * (the first sample at the start).
   */
  void publishAndSample(int perSecond, Duration length, Duration every) {
    Instant start = Instant.now();
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    try {
      int perTick = Math.max(1, perSecond / 10);
      timer.scheduleAtFixedRate(() -> publish(perTick), 0, 100, TimeUnit.MILLISECONDS);
      timer.scheduleAtFixedRate(() -> sample(start), 0, every.toMillis(), TimeUnit.MILLISECONDS);
      await()
          .atMost(length.plus(Duration.ofMinutes(2)))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> Duration.between(start, Instant.now()).compareTo(length) >= 0);
    } finally {
      timer.shutdownNow();
      try {
        timer.awaitTermination(30, SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void publish(int n) {
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (int i = 0; i < n; i++) {
        long k = published.incrementAndGet();
        // why: one message in fifty names no loaded pipeline: a rejected_messages row
        String pipeline = k % 50 == 0 ? "retired" : "steady";
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of(
                "pipeline",
                pipeline,
                "id",
                "m-" + k,
                "payload",
                "{\"text\":\"" + TEXT.formatted(k) + "\"}"));
      }
      p.sync();
    }
  }

  private synchronized void sample(Instant start) {
    Map<String, Long> v = new LinkedHashMap<>();
    v.put("redis_keys", (long) services.redisKeys().size());
    v.put("task_audit", count("SELECT count(*) FROM conveyor.task_audit"));
    v.put("dead_items", count("SELECT count(*) FROM conveyor.dead_items"));
    v.put("task_snapshots", count("SELECT count(*) FROM conveyor.task_snapshots"));
    v.put("rejected_messages", count("SELECT count(*) FROM conveyor.rejected_messages"));
    v.put(
        "held",
        count(
            "SELECT count(*) FROM conveyor.task_audit"
                + " WHERE cleanup_held_at IS NOT NULL AND cleaned_at IS NULL"));
    samples.add(new Sample(Duration.between(start, Instant.now()).toSeconds(), published.get(), v));
  }

  private long count(String query) {
    return services.queryLong(query);
  }

  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  /** Tasks whose data patrol released after they were held (their audit rows not pruned yet). */
  long releasedTasks() {
    return count(
        "SELECT count(*) FROM conveyor.task_audit WHERE cleanup_detail LIKE 'released after %'");
  }

  /**
   * Flat after the warm-up, for every measure: the growth of the least-squares line through the
   * samples after {@code warmUp}, over their time span, is at most {@code share} of their mean plus
   * {@code slack}. A count that grows with the messages processed fails it however noisy the
   * sampling on a busy machine is; one held in check by retention passes it.
   */
  void assertFlat(Duration warmUp, double share, long slack) {
    List<Sample> after = samples().stream().filter(s -> s.second() >= warmUp.toSeconds()).toList();
    assertThat(after).as("samples after the warm-up").hasSizeGreaterThanOrEqualTo(6);
    for (String m : MEASURES) {
      double growth = growth(after, m);
      double mean = after.stream().mapToLong(s -> s.values().get(m)).average().orElse(0);
      assertThat(growth)
          .as("%s: growth %.1f over the samples after the warm-up (mean %.1f)", m, growth, mean)
          .isLessThanOrEqualTo(share * mean + slack);
    }
  }

  /** The least-squares line's rise through the samples' {@code measure}, first to last sample. */
  static double growth(List<Sample> samples, String measure) {
    double n = samples.size();
    double meanT = samples.stream().mapToLong(Sample::second).average().orElse(0);
    double meanV = samples.stream().mapToLong(s -> s.values().get(measure)).average().orElse(0);
    double cov = 0;
    double var = 0;
    for (Sample s : samples) {
      double dt = s.second() - meanT;
      cov += dt * (s.values().get(measure) - meanV);
      var += dt * dt;
    }
    double slope = var == 0 ? 0 : cov / var;
    return n < 2 ? 0 : slope * (samples.getLast().second() - samples.getFirst().second());
  }

  /** Each measure's growth after {@code warmUp} (see {@link #assertFlat}), for the report. */
  String growths(Duration warmUp) {
    List<Sample> after = samples().stream().filter(s -> s.second() >= warmUp.toSeconds()).toList();
    StringBuilder b =
        new StringBuilder("growth after the warm-up (least squares, first to last sample):");
    for (String m : MEASURES) {
      double mean = after.stream().mapToLong(s -> s.values().get(m)).average().orElse(0);
      b.append(String.format(Locale.ROOT, " %s %+.1f (mean %.1f);", m, growth(after, m), mean));
    }
    return b.toString();
  }

  /** The samples as a Markdown table, the settings above it. */
  String table() {
    StringBuilder b = new StringBuilder();
    b.append("settings: ").append(settings).append('\n').append('\n');
    b.append("| s | published |");
    MEASURES.forEach(m -> b.append(' ').append(m).append(" |"));
    b.append('\n').append("|---:|---:|");
    MEASURES.forEach(m -> b.append("---:|"));
    b.append('\n');
    for (Sample s : samples()) {
      b.append(String.format(Locale.ROOT, "| %d | %,d |", s.second(), s.published()));
      MEASURES.forEach(m -> b.append(String.format(Locale.ROOT, " %,d |", s.values().get(m))));
      b.append('\n');
    }
    return b.toString();
  }

  /** Writes the table and the growths to {@code e2e/target/soak/<name>.md} and to stdout. */
  void report(String name, Duration warmUp) throws IOException {
    String report = table() + "\n" + growths(warmUp) + "\n";
    Path out = Repo.root().resolve("e2e/target/soak/" + name + ".md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    System.out.println(report);
  }

  /** Stops the trio with SIGTERM; each must stop cleanly and have logged no ERROR. */
  void stopAndCheckLogs() throws Exception {
    for (DaemonProcess d : daemons) {
      assertThat(d.stop(Duration.ofSeconds(30))).as(d.name()).isIn(0, 143);
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  @Override
  public void close() {
    try {
      for (DaemonProcess d : daemons) {
        d.killIfAlive();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
