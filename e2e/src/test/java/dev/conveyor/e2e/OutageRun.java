package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.cli.embedded.EmbeddedRun;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The trio under a steady load while Redis or PostgreSQL goes away, for {@link OutagesIT} and the
 * outage soak: a Redis (AOF on) and a PostgreSQL of its own, the daemons reaching PostgreSQL
 * through a {@link FreezingRelay} (so that its connections can also go half-open), a producer
 * publishing real documents at a steady pace and retrying for as long as Redis is away, and no
 * supervisor: a daemon that exits is a failure (an outage must kill nothing). Each outage is
 * checked on its own ({@link #outage}) and the whole run at the end ({@link
 * #assertEveryMessageDeliveredOnce}).
 */
final class OutageRun implements AutoCloseable {
  private static final List<String> DAEMONS = List.of("dispatcher", "processor", "patrol");
  private static final Duration PRODUCER_TICK = Duration.ofMillis(500);

  private final List<EmbeddedRun.Input> documents;
  private final int perTick;
  private final RunServices services;
  private final RedisServer redis;
  private final PostgresServer pg;
  private final Path pipelines;
  private final Map<String, String> env = new HashMap<>();
  private final Map<String, DaemonProcess> daemons = new LinkedHashMap<>();
  private final Timeline timeline = new Timeline();
  private final List<String> resumptions = new CopyOnWriteArrayList<>();
  private final Producer producer;
  private FreezingRelay relay;

  /** What one outage was: which service, how long, how fast the trio resumed. */
  record Outage(String name, String service, Duration length, Duration resumed) {}

  /** A way to take a service away and to bring it back. */
  interface Fault {
    void begin() throws Exception;

    void end() throws Exception;
  }

  private OutageRun(Path tmp, String name, int documents, int perSecond, Map<String, String> extra)
      throws IOException {
    this.documents = Corpus.repeated(documents);
    this.perTick = Math.max(1, perSecond / 2);
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/" + name);
    this.services = new RunServices(tmp, logs);
    this.redis = services.redis();
    this.pg = services.pg();
    // why: a producer retries for as long as Redis is away, however long an outage lasts
    this.producer = new Producer(redis, Integer.MAX_VALUE);
    this.pipelines = Repo.nerPipeline(tmp.resolve("pipelines"), yaml -> yaml);
    env.put("CONVEYOR_REDIS_URL", redis.url());
    env.put("CONVEYOR_PG_USER", "postgres");
    env.put("CONVEYOR_NAMESPACE", RunServices.NAMESPACE);
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "2s");
    env.put("JAVA_OPTS", "-Xmx512m");
    env.putAll(extra);
    for (String d : DAEMONS) {
      Map<String, String> e = new HashMap<>(env);
      e.put("CONVEYOR_NODE_ID", name + "-" + d);
      daemons.put(d, new DaemonProcess(d, d, e, logs));
    }
  }

  /**
   * @param perSecond documents published a second, for as long as {@link #startProducer} runs (at
   *     most {@code documents})
   * @param extra more environment for the daemons
   */
  static OutageRun prepare(
      Path tmp, String name, int documents, int perSecond, Map<String, String> extra)
      throws IOException {
    return new OutageRun(tmp, name, documents, perSecond, extra);
  }

  void startAll() throws Exception {
    services.start();
    relay = new FreezingRelay("127.0.0.1", pg.port());
    String url = "jdbc:postgresql://127.0.0.1:" + relay.port() + "/conveyor";
    for (DaemonProcess d : daemons.values()) {
      d.env().put("CONVEYOR_PG_URL", url);
      d.start();
    }
    await("every daemon answers /health with 200")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> daemons.values().stream().allMatch(DaemonProcess::healthy));
    note("redis, postgresql and the daemons up");
  }

  /** Documents published a second, until {@link #stopProducer()}; retries while Redis is away. */
  void startProducer() {
    producer.start(documents, perTick, PRODUCER_TICK);
  }

  /** Waits until the load flows: {@code rows} audit rows. */
  void awaitFlowing(long rows) {
    await("the load flows")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> count("SELECT count(*) FROM conveyor.task_audit") >= rows);
    note("the load flows: " + rows + " audit rows");
  }

  void stopProducer() throws InterruptedException {
    producer.stop();
    producer.await(Duration.ofMinutes(1), "producer stopped");
    note(producer.published() + " documents published");
  }

  /** Stops and restarts PostgreSQL (a clean stop: sessions ended, as for maintenance). */
  Fault postgresStopped() {
    return new Fault() {
      @Override
      public void begin() throws Exception {
        pg.stop();
      }

      @Override
      public void end() throws Exception {
        pg.startAgain();
      }
    };
  }

  /** SIGKILL to Redis and a start from its AOF (which loses nothing: see RedisServer). */
  Fault redisKilled() {
    return new Fault() {
      @Override
      public void begin() throws Exception {
        redis.kill();
      }

      @Override
      public void end() {
        redis.start();
      }
    };
  }

  /** Every connection to PostgreSQL goes half-open; new ones work again at the end. */
  Fault postgresHalfOpen() {
    return new Fault() {
      @Override
      public void begin() {
        relay.freeze();
      }

      @Override
      public void end() {
        relay.thaw();
      }
    };
  }

  /**
   * One outage of {@code service} ({@code postgres} or {@code redis}), {@code length} long, under
   * load; checks that every daemon said DEGRADED on {@code /health} throughout (sampled every 5 s
   * after the first 10), logged exactly one WARN and one INFO about it and no other WARN or ERROR,
   * stayed alive, and that the dispatcher and the processor resumed within {@code resumeWithin}.
   */
  Outage outage(String name, String service, Duration length, Fault fault, Duration resumeWithin)
      throws Exception {
    Map<String, Integer> marks = new HashMap<>();
    for (DaemonProcess d : daemons.values()) {
      marks.put(d.name(), d.logLines().size());
    }
    long audited = count("SELECT count(*) FROM conveyor.task_audit");
    long begin = System.nanoTime();
    List<String> notDegraded = new ArrayList<>();
    AtomicInteger samples = new AtomicInteger();
    double received;
    fault.begin();
    try {
      note(name + ": begins (" + audited + " audit rows)");
      await(name + " lasts " + length)
          .atMost(length.plusSeconds(30))
          .pollDelay(Duration.ofSeconds(10))
          .pollInterval(Duration.ofSeconds(5))
          .until(() -> {
            if (System.nanoTime() - begin < length.minusSeconds(2).toNanos()) {
              samples.incrementAndGet();
              for (DaemonProcess d : daemons.values()) {
                String health = d.health();
                if (!health.contains("\"DEGRADED\"") || !health.contains("\"" + service + "\"")) {
                  notDegraded.add(d.name() + ": " + health);
                }
              }
            }
            return System.nanoTime() - begin >= length.toNanos();
          });
      received = counter("dispatcher", "conveyor_dispatcher_received_total");
    } finally {
      fault.end();
    }
    long back = System.nanoTime();
    Instant backAt = Instant.now();
    note(name + ": ends after " + seconds(back - begin) + " s");

    AtomicReference<Duration> processor = new AtomicReference<>();
    AtomicReference<Duration> dispatcher = new AtomicReference<>();
    await(name + ": work resumes")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> {
          if (dispatcher.get() == null
              && counter("dispatcher", "conveyor_dispatcher_received_total") > received) {
            dispatcher.set(Duration.ofNanos(System.nanoTime() - back));
          }
          if (processor.get() == null) {
            firstAuditSince(backAt).ifPresent(t -> processor.set(Duration.between(backAt, t)));
          }
          return processor.get() != null && dispatcher.get() != null;
        });
    Duration resumed =
        processor.get().compareTo(dispatcher.get()) > 0 ? processor.get() : dispatcher.get();
    String line =
        String.format(
            Locale.ROOT,
            "%s: service back -> dispatcher reading the inbox in %.1f s, processor's first audit"
                + " row in %.1f s",
            name,
            dispatcher.get().toMillis() / 1e3,
            processor.get().toMillis() / 1e3);
    resumptions.add(line);
    note(line);

    await(name + ": every daemon said service_up")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          for (DaemonProcess d : daemons.values()) {
            if (since(d, marks).stream().noneMatch(l -> l.contains("event=service_up"))) {
              return false;
            }
          }
          return true;
        });
    for (DaemonProcess d : daemons.values()) {
      List<String> lines = since(d, marks);
      assertThat(lines.stream().filter(OutageRun::warnOrError).toList())
          .as(d.name() + ": its WARN and ERROR lines during " + name)
          .singleElement()
          .satisfies(l ->
              assertThat(l)
                  .contains(" WARN ")
                  .contains("event=service_down service=" + service + " "));
      assertThat(lines.stream().filter(l -> l.contains("event=service_up")).toList())
          .as(d.name() + ": its service_up lines after " + name)
          .singleElement()
          .satisfies(l -> assertThat(l).contains(" INFO ").contains("service=" + service + " "));
      assertThat(d.alive()).as(d.name() + " still runs after " + name).isTrue();
    }
    assertThat(samples.get()).as("health samples during " + name).isPositive();
    assertThat(notDegraded).as("/health that did not say DEGRADED during " + name).isEmpty();
    assertThat(resumed)
        .as(name + ": time from the service's return to work resuming")
        .isLessThanOrEqualTo(resumeWithin);
    return new Outage(name, service, Duration.ofNanos(back - begin), resumed);
  }

  /** Waits until every published message has its audit row. */
  void awaitAllAudited(Duration atMost) {
    await("every published message audited")
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() -> count("SELECT count(*) FROM conveyor.task_audit") >= producer.published());
    note("all " + producer.published() + " audited");
  }

  /**
   * One {@code delivered} audit row per published message, no dead item, no rejected message, and
   * the rows of the embedded run for those documents, exactly.
   */
  void assertEveryMessageDeliveredOnce() throws Exception {
    List<String> ids =
        documents.subList(0, producer.published()).stream().map(EmbeddedRun.Input::taskId).toList();
    services.assertOneDeliveredAuditRowEach(ids);
    assertThat(count("SELECT count(*) FROM conveyor.rejected_messages")).as("rejected").isZero();
    List<Map<String, Object>> rows = services.rows();
    assertThat(rows).as("rows against the embedded run").isEqualTo(expectedRows());
    for (DaemonProcess d : daemons.values()) {
      assertThat(d.alive()).as(d.name() + " never exited").isTrue();
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  /** What {@code conveyor run} delivers for the documents published, in one process. */
  private List<Map<String, Object>> expectedRows() throws Exception {
    return NerCorpus.expectedRows(
        pipelines.resolve("ner.yaml"), documents.subList(0, producer.published()));
  }

  void report() {
    System.out.println("outage run: " + producer.published() + " documents");
    timeline.print();
    resumptions.forEach(r -> System.out.println("RESUMPTION " + r));
  }

  @Override
  public void close() {
    producer.close();
    try {
      for (DaemonProcess d : daemons.values()) {
        d.killIfAlive();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (relay != null) {
        relay.close();
      }
      try {
        services.close();
      } catch (IOException e) {
        // the temporary directory goes anyway
      }
    }
  }

  private static List<String> since(DaemonProcess d, Map<String, Integer> marks)
      throws IOException {
    List<String> lines = d.logLines();
    return lines.subList(Math.min(marks.get(d.name()), lines.size()), lines.size());
  }

  private static boolean warnOrError(String line) {
    return line.contains(" WARN ") || line.contains(" ERROR ");
  }

  private double counter(String daemon, String metric) throws IOException, InterruptedException {
    return daemons.get(daemon).counter(metric);
  }

  /** When the first task finished at or after {@code since}, if one did. */
  private java.util.Optional<Instant> firstAuditSince(Instant since) throws SQLException {
    try (Connection c = pg.connect();
        java.sql.PreparedStatement s =
            c.prepareStatement(
                "SELECT min(finished_at) FROM conveyor.task_audit WHERE finished_at >= ?")) {
      s.setTimestamp(1, java.sql.Timestamp.from(since));
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        java.sql.Timestamp t = rs.getTimestamp(1);
        return t == null ? java.util.Optional.empty() : java.util.Optional.of(t.toInstant());
      }
    }
  }

  private long count(String query) throws SQLException {
    return services.count(query);
  }

  private void note(String what) {
    timeline.note(what);
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
  }
}
