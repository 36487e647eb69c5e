package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * What the dispatcher's integration tests share: dispatchers started in-process against the real
 * services under a namespace of the test's own, publishing to the inbox, waiting until the group
 * has handled an entry, and reading what the intake left behind (queue items, rejected rows). On
 * {@link #close()} every dispatcher it started is shut down, their threads must be gone, and the
 * namespace's keys are deleted.
 */
final class DispatcherFixture implements AutoCloseable {
  /** The threads a dispatcher runs of its own; the JDK's HTTP server's when HTTP is on. */
  static final Set<String> DAEMON_THREADS =
      Set.of("intake", "inbox-stats", "heartbeat", "HTTP-Dispatcher");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestServices services;
  private final Path pipelines;
  private final Keys keys;
  private final List<Dispatcher> dispatchers = new ArrayList<>();

  private DispatcherFixture(TestServices services, Path pipelines, String namespace) {
    this.services = services;
    this.pipelines = pipelines;
    this.keys = new Keys(namespace);
  }

  /** A fixture with a Redis namespace of its own, for one test. */
  static DispatcherFixture create(TestServices services, Path pipelines) {
    byte[] random = new byte[3];
    ThreadLocalRandom.current().nextBytes(random);
    return new DispatcherFixture(
        services, pipelines, services.namespace() + "-" + HexFormat.of().formatHex(random));
  }

  Keys keys() {
    return keys;
  }

  /** The client on the runtime Redis. */
  UnifiedJedis jedis() {
    return services.jedis();
  }

  TestServices services() {
    return services;
  }

  /** The environment of a dispatcher named {@code node} of this fixture, with overrides. */
  Map<String, String> env(String node, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_NAMESPACE", keys.namespace());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_NODE_ID", node);
    env.putAll(overrides);
    return env;
  }

  /** A dispatcher named {@code node}, activated and started; shut down by {@link #close()}. */
  Dispatcher start(String node, Map<String, String> overrides) {
    Dispatcher dispatcher = new Dispatcher(DispatcherConfig.from(Env.of(env(node, overrides))));
    dispatchers.add(dispatcher);
    dispatcher.activate();
    assertThat(dispatcher.state()).as(dispatcher.reason().orElse("")).isEqualTo(State.READY);
    dispatcher.start();
    assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    return dispatcher;
  }

  /** Publishes to the inbox on the runtime Redis. */
  StreamEntryID publish(Map<String, String> fields) {
    return publish(jedis(), fields);
  }

  /** Publishes to the inbox on {@code inbox}. */
  StreamEntryID publish(UnifiedJedis inbox, Map<String, String> fields) {
    return inbox.xadd(keys.inbox(), StreamEntryID.NEW_ENTRY, new LinkedHashMap<>(fields));
  }

  StreamEntryID publishRaw(LinkedHashMap<byte[], byte[]> fields) {
    byte[] id = jedis().xadd(keys.inbox().getBytes(UTF_8), XAddParams.xAddParams(), fields);
    return new StreamEntryID(new String(id, UTF_8));
  }

  /** Waits until the group has delivered {@code id} and nothing is pending any more. */
  void awaitHandled(StreamEntryID id) {
    awaitHandled(id, Duration.ofSeconds(10));
  }

  void awaitHandled(StreamEntryID id, Duration atMost) {
    awaitHandled(jedis(), id, atMost);
  }

  /** As {@link #awaitHandled(StreamEntryID)}, for the inbox on {@code inbox}. */
  void awaitHandled(UnifiedJedis inbox, StreamEntryID id, Duration atMost) {
    await()
        .atMost(atMost)
        .untilAsserted(() -> {
          StreamGroupInfo group = group(inbox).orElseThrow();
          assertThat(group.getLastDeliveredId()).isGreaterThanOrEqualTo(id);
          assertThat(inbox.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
              .as("pending entries of group dispatchers")
              .isZero();
        });
  }

  /** The group {@code dispatchers} on the inbox on {@code inbox}, if it exists. */
  Optional<StreamGroupInfo> group(UnifiedJedis inbox) {
    return inbox.xinfoGroups(keys.inbox()).stream()
        .filter(g -> g.getName().equals(Keys.DISPATCHER_GROUP))
        .findFirst();
  }

  /** Entries of the inbox not yet delivered to the group (XINFO GROUPS lag). */
  long lag() {
    Object lag = group(jedis()).orElseThrow().getGroupInfo().get("lag");
    return ((Number) Objects.requireNonNull(lag, "lag")).longValue();
  }

  long pendingOf(String consumer) {
    Map<String, Long> perConsumer =
        jedis().xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getConsumerMessageCount();
    return perConsumer == null ? 0 : perConsumer.getOrDefault(consumer, 0L);
  }

  List<StreamEntry> queueEntries(String pipeline, String step, String taskId) {
    return jedis().xrange(keys.stepQueue(pipeline, step, 0), "-", "+").stream()
        .filter(e -> taskId.equals(e.getFields().get("t")))
        .toList();
  }

  List<String> queuedParts(String pipeline, String step, String taskId) {
    return queueEntries(pipeline, step, taskId).stream().map(e -> e.getFields().get("p")).toList();
  }

  /** A row of {@code conveyor.rejected_messages}. */
  record Rejected(String reason, String detail, JsonNode fields) {}

  Optional<Rejected> rejectedRow(StreamEntryID id) {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT reason, detail, fields::text FROM conveyor.rejected_messages"
                    + " WHERE stream_id = ?")) {
      ps.setString(1, id.toString());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Rejected(rs.getString(1), rs.getString(2), JSON.readTree(rs.getString(3))));
      }
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("reading rejected_messages: " + e.getMessage(), e);
    }
  }

  /** A TCP port that was free a moment ago, for a dispatcher's HTTP server. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code GET http://127.0.0.1:<port><path>}: the status code and the body. */
  static HttpResponse<String> get(int port, String path) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** {@code GET /status} of a dispatcher with HTTP on, as JSON. */
  static JsonNode status(int port) {
    HttpResponse<String> response = get(port, "/status");
    assertThat(response.statusCode()).as("GET /status").isEqualTo(200);
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Live threads of this JVM named like a dispatcher's own threads. */
  static List<String> daemonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(DAEMON_THREADS::contains)
        .toList();
  }

  /** Shuts every dispatcher down, checks their threads are gone, and deletes the namespace. */
  @Override
  public void close() {
    try {
      dispatchers.forEach(Dispatcher::shutdown);
      await()
          .atMost(10, SECONDS)
          .untilAsserted(
              () -> assertThat(daemonThreads()).as("dispatcher threads after shutdown").isEmpty());
    } finally {
      services.deleteRedisKeys(keys.namespace());
    }
  }

  /** Deletes every key of the namespace on a single Redis server (SCAN: tests only). */
  static void deleteKeys(UnifiedJedis jedis, String namespace) {
    String cursor = ScanParams.SCAN_POINTER_START;
    ScanParams params = new ScanParams().match(namespace + ":*").count(1000);
    do {
      ScanResult<String> page = jedis.scan(cursor, params);
      page.getResult().forEach(jedis::del);
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
  }

  /** The events a logger receives while captured; detached on close. */
  static final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(Class<?> source) {
      this.logger = (Logger) LoggerFactory.getLogger(source);
      appender.start();
      logger.addAppender(appender);
    }

    static LogCapture of(Class<?> source) {
      return new LogCapture(source);
    }

    /** The captured events whose {@code event} key is {@code name}, in order. */
    List<ILoggingEvent> events(String name) {
      // why: the appender adds under its own lock (AppenderBase.doAppend)
      synchronized (appender) {
        return appender.list.stream().filter(e -> name.equals(value(e, "event"))).toList();
      }
    }

    @Override
    public void close() {
      logger.detachAppender(appender);
      appender.stop();
    }
  }

  /** The value of a key=value pair of a log event, or null. */
  static Object value(ILoggingEvent e, String key) {
    return e.getKeyValuePairs() == null
        ? null
        : e.getKeyValuePairs().stream()
            .filter(kv -> kv.key.equals(key))
            .map(kv -> kv.value)
            .findFirst()
            .orElse(null);
  }
}
