package dev.conveyor.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Every kind of bad input the dispatcher rejects, mixed with good messages, through the three real
 * daemons: each bad entry ends as one {@code rejected_messages} row with its reason and its fields
 * as received (bytes that are not UTF-8 as base64), a repeated id is acknowledged as a duplicate,
 * the good messages are all delivered, and every daemon is still healthy and logged no ERROR.
 */
@WithServices
class BadInputIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int GOOD = 300;
  private static final int MAX_BYTES = 4096;
  private static final byte[] JUNK = {(byte) 0xff, (byte) 0xfe, 0, (byte) 0xc3, 0x28, 0x7f, 0x01};

  private final List<DaemonProcess> daemons = new ArrayList<>();
  private final Map<String, String> expected = new LinkedHashMap<>();
  private final Map<String, String> what = new LinkedHashMap<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void badInputIsRejectedWithItsReasonAndTheRestIsDelivered(TestServices services)
      throws Exception {
    Keys keys = services.keys();
    var jedis = services.jedis();
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", Repo.root().resolve("deploy/pipelines").toString());
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", Integer.toString(MAX_BYTES));
    env.put("CONVEYOR_INBOX_MAX_DELIVERIES", "3");
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");

    // no_fields: an entry the dispatcher had read (pending on it) that an operator deleted from
    // the inbox before it was handled; the dispatcher finds it in its pending list at start
    jedis.xgroupCreate(keys.inbox(), Keys.DISPATCHER_GROUP, new StreamEntryID(0, 0), true);
    StreamEntryID deleted =
        add(
            jedis,
            keys,
            "deleted by an operator",
            "no_fields",
            text("pipeline", "echo", "id", "deleted-1", "payload", "{\"text\":\"x\"}"));
    jedis.xreadGroup(
        Keys.DISPATCHER_GROUP,
        "bad-input-dispatcher",
        XReadGroupParams.xReadGroupParams().count(1),
        Map.of(keys.inbox(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    jedis.xdel(keys.inbox(), deleted);
    // poison: registering this task fails every time (its meta key has the wrong type)
    jedis.set(keys.taskMeta("poison-1"), "not a hash");

    int good = 0;
    List<Runnable> bad = badInputs(jedis, keys);
    // why: one bad entry after every few good ones, so that they share the dispatcher's batches
    int every = GOOD / bad.size();
    for (int i = 0; i < GOOD; i++) {
      jedis.xadd(
          keys.inbox(),
          StreamEntryID.NEW_ENTRY,
          Map.of(
              "pipeline", "echo", "id", "good-" + i, "payload", "{\"text\":\"good " + i + "\"}"));
      good++;
      if (i % every == every - 1 && !bad.isEmpty()) {
        bad.removeFirst().run();
      }
    }
    bad.forEach(Runnable::run);
    // a repeated id: acknowledged as a duplicate, never processed twice (the first one wins)
    jedis.xadd(
        keys.inbox(),
        StreamEntryID.NEW_ENTRY,
        Map.of("pipeline", "echo", "id", "good-0", "payload", "{\"text\":\"second\"}"));

    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bad-input");
    Map<String, String> dispatcherEnv = new HashMap<>(env);
    dispatcherEnv.put("CONVEYOR_NODE_ID", "bad-input-dispatcher");
    daemons.add(new DaemonProcess("dispatcher", dispatcherEnv, logs).start());
    daemons.add(new DaemonProcess("processor", env, logs).start());
    daemons.add(new DaemonProcess("patrol", env, logs).start());

    int goodTasks = good;
    await("every good message delivered, every bad one stored")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.rejected_messages"))
              .isEqualTo(expected.size());
          assertThat(
                  services.queryLong(
                      "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"))
              .isEqualTo(goodTasks);
        });

    Map<String, String> reasons = new LinkedHashMap<>();
    Map<String, JsonNode> fields = new HashMap<>();
    try (Connection c = services.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT stream_id, reason, fields FROM conveyor.rejected_messages")) {
      while (rs.next()) {
        reasons.put(rs.getString(1), rs.getString(2));
        fields.put(rs.getString(1), JSON.readTree(rs.getString(3)));
      }
    }
    for (var e : expected.entrySet()) {
      assertThat(reasons.get(e.getKey())).as(what.get(e.getKey())).isEqualTo(e.getValue());
    }
    String junkId = idOf("binary junk as the payload");
    assertThat(fields.get(junkId).get("payload").get("base64").asText())
        .as("bytes that are not UTF-8 are stored as base64")
        .isEqualTo(Base64.getEncoder().encodeToString(JUNK));
    assertThat(fields.get(idOf("a field name that is not UTF-8")).has("base64:" + base64(JUNK)))
        .isTrue();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.task_audit")).isEqualTo(good);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows")).isEqualTo(good);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.echo_rows WHERE task_id = 'good-0'"
                    + " AND text = 'good 0'"))
        .as("the first message with an id wins")
        .isEqualTo(1);
    assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
        .as("every inbox entry acknowledged")
        .isZero();

    DaemonProcess dispatcher = daemons.getFirst();
    List<String> metrics = dispatcher.get("/metrics").lines().toList();
    assertThat(metrics)
        .as("one duplicate")
        .anyMatch(l -> l.startsWith("conveyor_dispatcher_duplicates_total{") && l.endsWith(" 1.0"));
    assertThat(metrics)
        .as("one poison")
        .anyMatch(l ->
            l.startsWith("conveyor_dispatcher_rejected_total{")
                && l.contains("reason=\"poison\"")
                && l.endsWith(" 1.0"));
    for (DaemonProcess d : daemons) {
      assertThat(d.healthy()).as(d.name() + " /health").isTrue();
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  /** One action per kind of bad input; each records what it expects. */
  private List<Runnable> badInputs(UnifiedJedis jedis, Keys keys) {
    List<Runnable> inputs = new ArrayList<>();
    inputs.add(() ->
        add(
            jedis,
            keys,
            "no pipeline field",
            "missing_pipeline",
            text("id", "np-1", "payload", "{}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a blank pipeline",
            "missing_pipeline",
            text("pipeline", "  ", "payload", "{}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "an unknown pipeline",
            "unknown_pipeline",
            text("pipeline", "nosuch", "payload", "{}")));
    inputs.add(() ->
        add(jedis, keys, "no payload", "missing_payload", text("pipeline", "echo", "id", "mp-1")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a payload over the limit",
            "payload_too_large",
            text("pipeline", "echo", "payload", "{\"text\":\"" + "x".repeat(MAX_BYTES) + "\"}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a payload that is not JSON",
            "payload_not_json",
            text("pipeline", "echo", "payload", "not json")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "trailing data after the object",
            "payload_not_json",
            text("pipeline", "echo", "payload", "{\"text\":\"a\"} x")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "an empty payload",
            "payload_not_json",
            text("pipeline", "echo", "payload", "")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a payload that is an array",
            "payload_not_object",
            text("pipeline", "echo", "payload", "[1,2]")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a payload nested 100 deep",
            "payload_too_deep",
            text(
                "pipeline",
                "echo",
                "payload",
                "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "an id with a space",
            "bad_id",
            text("pipeline", "echo", "id", "has space", "payload", "{}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "an id of 129 characters",
            "bad_id",
            text("pipeline", "echo", "id", "x".repeat(129), "payload", "{}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a ner payload without text",
            "unsplittable",
            text("pipeline", "ner", "id", "us-1", "payload", "{\"body\":\"Acme Ltd.\"}")));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "binary junk as the payload",
            "payload_not_json",
            Map.of(
                "pipeline".getBytes(UTF_8),
                "echo".getBytes(UTF_8),
                "payload".getBytes(UTF_8),
                JUNK)));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "binary junk as the pipeline",
            "missing_pipeline",
            Map.of(
                "pipeline".getBytes(UTF_8),
                JUNK,
                "payload".getBytes(UTF_8),
                "{}".getBytes(UTF_8))));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a field name that is not UTF-8",
            "missing_pipeline",
            Map.of(JUNK, "x".getBytes(UTF_8), "payload".getBytes(UTF_8), "{}".getBytes(UTF_8))));
    inputs.add(() ->
        add(
            jedis,
            keys,
            "a task whose registration always fails",
            "poison",
            text("pipeline", "echo", "id", "poison-1", "payload", "{\"text\":\"p\"}")));
    return inputs;
  }

  private StreamEntryID add(
      UnifiedJedis jedis,
      Keys keys,
      String description,
      String reason,
      Map<byte[], byte[]> fields) {
    byte[] reply = jedis.xadd(keys.inbox().getBytes(UTF_8), XAddParams.xAddParams(), fields);
    StreamEntryID id = new StreamEntryID(new String(reply, UTF_8));
    expected.put(id.toString(), reason);
    what.put(id.toString(), description);
    return id;
  }

  private String idOf(String description) {
    return what.entrySet().stream()
        .filter(e -> e.getValue().equals(description))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow();
  }

  private static Map<byte[], byte[]> text(String... kv) {
    Map<byte[], byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i].getBytes(UTF_8), kv[i + 1].getBytes(UTF_8));
    }
    return m;
  }

  private static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
