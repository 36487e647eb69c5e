package dev.conveyor.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/**
 * Hostile content through the three real daemons, for each step kind: a sink alone ({@code echo}),
 * a java step before a sink, and a command step (a Python program) before a sink. Messages
 * PostgreSQL cannot store, that a parser reads differently, that are too large or too many, that
 * try to take another task's key, and step outputs of the same kinds, go between good messages.
 * Every hostile message must end in exactly the one place the policy says (a rejected row with its
 * reason, a dead item at its step, or a delivered row under its own key), every good message — also
 * those sent after a hostile one — must be delivered with an audit row, no good item may be dead,
 * every inbox entry acknowledged, every daemon healthy without an ERROR line.
 */
@WithServices
class HostileContentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MESSAGE_BYTES = 300_000;
  private static final int MAX_ENTRY_BYTES = 1_572_864;
  private static final int MAX_FIELDS = 16;
  private static final int MAX_OUTPUT_BYTES = 262_144;
  private static final int GOOD_PER_PIPELINE = 40;

  /** The python step: passes its input through, or answers hostile output when asked. */
  private static final String HOSTILE_PY =
      """
      import json, sys

      for line in sys.stdin:
          request = json.loads(line)
          item = request["input"]
          text = item.get("text") if isinstance(item, dict) else None
          if text == "emit-raw":
              sys.stdout.buffer.write(b'{"ok": true, "data": {"text": "\\xed\\xa0\\x80"}}\\n')
              sys.stdout.buffer.flush()
              continue
          data = item
          if text == "emit-nul":
              data = {"text": "a\\u0000b"}
          elif text == "emit-surrogate":
              data = {"text": "x\\ud800"}
          elif text == "emit-huge":
              data = {"text": "h" * (1 << 20)}
          elif text == "emit-scalar":
              data = 42
          elif text == "emit-keys":
              data = {"task_id": "cmd-victim", "part": 5, "text": "keys from the step"}
          print(json.dumps({"ok": True, "data": data}), flush=True)
      """;

  private static final String VIA_JAVA =
      """
      pipeline: viajava
      version: 1
      defaults: {offset: 100ms, retry: {attempts: 2, backoff: 100ms, max_backoff: 200ms}}
      steps:
        - {name: transform, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
        - name: deliver
          kind: sink
          after: transform
          batch: 500
          sink: {table: conveyor.hostile_rows, key: [task_id, part]}
      """;

  private static final String VIA_COMMAND =
      """
      pipeline: viacmd
      version: 1
      defaults: {offset: 100ms, retry: {attempts: 2, backoff: 100ms, max_backoff: 200ms}}
      steps:
        - {name: transform, kind: command, command: [python3, steps/hostile.py], workers: 2}
        - name: deliver
          kind: sink
          after: transform
          batch: 500
          sink: {table: conveyor.hostile_rows, key: [task_id, part]}
      """;

  /** Where a message must end. */
  private sealed interface Place {}

  private record Rejected(String reason) implements Place {}

  private record Dead(String step, String error) implements Place {}

  private record Delivered(String text) implements Place {}

  /** One message sent: its pipeline (table), id and stream entry. */
  private record Sent(String what, String table, String id, String streamId, Place place) {}

  private final List<DaemonProcess> daemons = new ArrayList<>();
  private final List<Sent> sent = new ArrayList<>();
  private int good;

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void everyHostileMessageEndsInItsOnePlaceAndEveryGoodOneIsDelivered(
      TestServices services, @TempDir Path pipelines) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.hostile_rows (task_id text NOT NULL, part int NOT NULL, text text,"
            + " n numeric, PRIMARY KEY (task_id, part))");
    Files.copy(Repo.root().resolve("deploy/pipelines/echo.yaml"), pipelines.resolve("echo.yaml"));
    Files.writeString(pipelines.resolve("viajava.yaml"), VIA_JAVA);
    Files.writeString(pipelines.resolve("viacmd.yaml"), VIA_COMMAND);
    Files.createDirectories(pipelines.resolve("steps"));
    Files.writeString(pipelines.resolve("steps/hostile.py"), HOSTILE_PY);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", Integer.toString(MAX_MESSAGE_BYTES));
    env.put("CONVEYOR_MAX_ENTRY_BYTES", Integer.toString(MAX_ENTRY_BYTES));
    env.put("CONVEYOR_MAX_ENTRY_FIELDS", Integer.toString(MAX_FIELDS));
    env.put("CONVEYOR_MAX_OUTPUT_BYTES", Integer.toString(MAX_OUTPUT_BYTES));
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/hostile-content");
    daemons.add(new DaemonProcess("dispatcher", env, logs).start());
    daemons.add(new DaemonProcess("processor", env, logs).start());
    daemons.add(new DaemonProcess("patrol", env, logs).start());

    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    sendAll(jedis, keys);

    long rejected = count(p -> p instanceof Rejected);
    long tasks = sent.size() - rejected;
    await("every message in its place")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.rejected_messages"))
              .isEqualTo(rejected);
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.task_audit"))
              .isEqualTo(tasks);
        });

    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items"))
        .as("dead items: the hostile ones that should die, and no other")
        .isEqualTo(count(p -> p instanceof Dead));
    for (Sent s : sent) {
      assertInItsPlace(services, s);
    }
    assertThat(good).isEqualTo(3 * (GOOD_PER_PIPELINE + 1));
    JsonNode blob = rejectedFields(services, idOf("echo: an entry of 2 MiB")).get("blob");
    assertThat(blob.get("truncated").booleanValue()).isTrue();
    assertThat(blob.get("bytes").longValue()).isEqualTo(2 << 20);
    assertThat(blob.get("sha256").textValue()).isEqualTo(sha256(new byte[2 << 20]));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.hostile_rows WHERE task_id = 'java-big-number'"
                    + " AND n = 1e400"))
        .as("a number beyond a double's range is delivered exactly through a java step")
        .isEqualTo(1);
    assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
        .as("every inbox entry acknowledged")
        .isZero();
    for (DaemonProcess d : daemons) {
      assertThat(d.healthy()).as(d.name() + " /health").isTrue();
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
    assertThat(daemons.getFirst().logLines())
        .as("run-local binds the HTTP to loopback")
        .anyMatch(l -> l.contains("event=http_listening") && l.contains("address=127.0.0.1"));
  }

  /** Every hostile message for each pipeline, each followed by good ones. */
  private void sendAll(UnifiedJedis jedis, Keys keys) {
    for (String p : List.of("echo", "java", "cmd")) {
      String pipeline = pipelineOf(p);
      String table = p.equals("echo") ? "echo_rows" : "hostile_rows";
      // a good message first: a hostile one below tries to take its key
      sendGood(jedis, keys, p, "victim", "the real one");
      List<Runnable> hostile = new ArrayList<>();
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "U+0000 escaped",
              table,
              "nul",
              json("{\"text\":\"a\\u0000b\"}"),
              new Rejected("payload_has_nul")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "U+0000 in a key",
              table,
              "nul-key",
              json("{\"te\\u0000xt\":\"a\"}"),
              new Rejected("payload_has_nul")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a lone surrogate escaped",
              table,
              "surrogate",
              json("{\"text\":\"\\ud800\"}"),
              new Rejected("payload_has_lone_surrogate")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a lone surrogate as raw bytes",
              table,
              "raw-surrogate",
              bytes("{\"text\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"),
              new Rejected("payload_not_json")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "an overlong U+0000",
              table,
              "overlong-nul",
              bytes("{\"text\":\"", new byte[] {(byte) 0xC0, (byte) 0x80}, "\"}"),
              new Rejected("payload_not_json")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a number beyond numeric",
              table,
              "number-out-of-range",
              json("{\"text\":\"n\",\"n\":1e131072}"),
              new Rejected("payload_number_out_of_range")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "an exponent no decimal holds",
              table,
              "exponent",
              json("{\"text\":\"n\",\"n\":1e99999999999999}"),
              new Rejected("payload_number_out_of_range")));
      hostile.add(() -> {
        Map<byte[], byte[]> fields = message(pipeline, p + "-fields", json("{\"text\":\"f\"}"));
        for (int i = 0; i < 40; i++) {
          fields.put(("extra-" + i).getBytes(UTF_8), "x".getBytes(UTF_8));
        }
        add(
            jedis,
            keys,
            p + ": 43 fields",
            table,
            p + "-fields",
            fields,
            new Rejected("too_many_fields"));
      });
      hostile.add(() -> {
        Map<byte[], byte[]> fields = message(pipeline, p + "-entry", json("{\"text\":\"e\"}"));
        fields.put("blob".getBytes(UTF_8), new byte[2 << 20]);
        add(
            jedis,
            keys,
            p + ": an entry of 2 MiB",
            table,
            p + "-entry",
            fields,
            new Rejected("entry_too_large"));
      });
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a 1 MiB string",
              table,
              "mib-string",
              json("{\"text\":\"" + "m".repeat(1 << 20) + "\"}"),
              new Rejected("payload_too_large")));
      String controls = "\u0001\u001f\u007f\u0085\ufffe\uffff\t\n\ud83d\ude00";
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "control characters and noncharacters",
              table,
              "controls",
              json("{\"text\":\"\\u0001\\u001f\\u007f\\u0085\\ufffe\\uffff\\t\\n\\ud83d\\ude00\"}"),
              new Delivered(controls)));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "task_id and part of another task",
              table,
              "keys",
              json("{\"task_id\":\"" + p + "-victim\",\"part\":0,\"text\":\"impostor\"}"),
              new Delivered("impostor")));
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a number beyond a double's range",
              table,
              "big-number",
              json("{\"text\":\"big\",\"n\":1e400}"),
              p.equals("cmd")
                  // why: Python's json reads 1e400 as inf and writes Infinity, which is not JSON
                  ? new Dead("transform", "which is not a protocol line")
                  : new Delivered("big")));
      String large = "L".repeat(200_000);
      hostile.add(() ->
          send(
              jedis,
              keys,
              p,
              "a 200 KB string",
              table,
              "200k",
              json("{\"text\":\"" + large + "\"}"),
              new Delivered(large)));
      if (p.equals("cmd")) {
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output with U+0000",
                table,
                "emit-nul",
                json("{\"text\":\"emit-nul\"}"),
                new Dead("transform", "output holds U+0000 at $.text")));
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output with a lone surrogate",
                table,
                "emit-surrogate",
                json("{\"text\":\"emit-surrogate\"}"),
                new Dead("transform", "output holds a lone surrogate at $.text")));
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output over the limit",
                table,
                "emit-huge",
                json("{\"text\":\"emit-huge\"}"),
                new Dead("transform", "output is 10485")));
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output that is not an object",
                table,
                "emit-scalar",
                json("{\"text\":\"emit-scalar\"}"),
                new Dead("deliver", "sink input must be a JSON object")));
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output that is not UTF-8",
                table,
                "emit-raw",
                json("{\"text\":\"emit-raw\"}"),
                new Dead("transform", "answered a line that is not UTF-8")));
        hostile.add(() ->
            send(
                jedis,
                keys,
                p,
                "a step output with another task's key",
                table,
                "emit-keys",
                json("{\"text\":\"emit-keys\"}"),
                new Delivered("keys from the step")));
      }
      int every = GOOD_PER_PIPELINE / hostile.size();
      for (int i = 0; i < GOOD_PER_PIPELINE; i++) {
        if (i % every == 0 && !hostile.isEmpty()) {
          hostile.removeFirst().run();
        }
        sendGood(jedis, keys, p, "good-" + i, "good " + i);
      }
      hostile.forEach(Runnable::run);
    }
  }

  private void sendGood(UnifiedJedis jedis, Keys keys, String p, String suffix, String text) {
    String table = p.equals("echo") ? "echo_rows" : "hostile_rows";
    send(
        jedis,
        keys,
        p,
        "good " + suffix,
        table,
        suffix,
        json("{\"text\":\"" + text + "\"}"),
        new Delivered(text));
    good++;
  }

  private void send(
      UnifiedJedis jedis,
      Keys keys,
      String p,
      String what,
      String table,
      String suffix,
      byte[] payload,
      Place place) {
    String id = p + "-" + suffix;
    add(jedis, keys, p + ": " + what, table, id, message(pipelineOf(p), id, payload), place);
  }

  private void add(
      UnifiedJedis jedis,
      Keys keys,
      String what,
      String table,
      String id,
      Map<byte[], byte[]> fields,
      Place place) {
    byte[] streamId = jedis.xadd(keys.inbox().getBytes(UTF_8), XAddParams.xAddParams(), fields);
    sent.add(new Sent(what, table, id, new String(streamId, UTF_8), place));
  }

  private void assertInItsPlace(TestServices services, Sent s) throws Exception {
    Optional<String> reason = rejectedReason(services, s.streamId());
    Optional<String> outcome = auditOutcome(services, s.id());
    List<String[]> dead = deadItems(services, s.id());
    Optional<String> row = rowText(services, s.table(), s.id());
    switch (s.place()) {
      case Rejected r -> {
        assertThat(reason).as(s.what()).contains(r.reason());
        assertThat(outcome).as(s.what() + ": no task").isEmpty();
        assertThat(dead).as(s.what() + ": no dead item").isEmpty();
      }
      case Dead d -> {
        assertThat(reason).as(s.what() + ": not rejected").isEmpty();
        assertThat(outcome).as(s.what()).contains("failed");
        assertThat(dead).as(s.what()).hasSize(1);
        assertThat(dead.getFirst()[0]).as(s.what() + ": step").isEqualTo(d.step());
        assertThat(dead.getFirst()[1]).as(s.what() + ": error").contains(d.error());
        assertThat(row).as(s.what() + ": no row").isEmpty();
      }
      case Delivered d -> {
        assertThat(reason).as(s.what() + ": not rejected").isEmpty();
        assertThat(outcome).as(s.what()).contains("delivered");
        assertThat(dead).as(s.what() + ": no dead item").isEmpty();
        assertThat(row).as(s.what() + ": its row under its own key").contains(d.text());
      }
    }
  }

  private static Optional<String> rejectedReason(TestServices services, String streamId)
      throws Exception {
    return one(
        services, "SELECT reason FROM conveyor.rejected_messages WHERE stream_id = ?", streamId);
  }

  private static JsonNode rejectedFields(TestServices services, String streamId) throws Exception {
    return JSON.readTree(
        one(
                services,
                "SELECT fields::text FROM conveyor.rejected_messages WHERE stream_id = ?",
                streamId)
            .orElseThrow());
  }

  private static Optional<String> auditOutcome(TestServices services, String id) throws Exception {
    return one(services, "SELECT outcome FROM conveyor.task_audit WHERE task_id = ?", id);
  }

  private static Optional<String> rowText(TestServices services, String table, String id)
      throws Exception {
    return one(
        services, "SELECT text FROM conveyor." + table + " WHERE task_id = ? AND part = 0", id);
  }

  private static List<String[]> deadItems(TestServices services, String id) throws Exception {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT step, error FROM conveyor.dead_items WHERE task_id = ?")) {
      ps.setString(1, id);
      List<String[]> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      return rows;
    }
  }

  private static Optional<String> one(TestServices services, String sql, String arg)
      throws Exception {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      }
    }
  }

  private long count(java.util.function.Predicate<Place> p) {
    return sent.stream().filter(s -> p.test(s.place())).count();
  }

  private String idOf(String what) {
    return sent.stream().filter(s -> s.what().equals(what)).findFirst().orElseThrow().streamId();
  }

  private static String pipelineOf(String p) {
    return switch (p) {
      case "echo" -> "echo";
      case "java" -> "viajava";
      default -> "viacmd";
    };
  }

  private static Map<byte[], byte[]> message(String pipeline, String id, byte[] payload) {
    Map<byte[], byte[]> fields = new LinkedHashMap<>();
    fields.put("pipeline".getBytes(UTF_8), pipeline.getBytes(UTF_8));
    fields.put("id".getBytes(UTF_8), id.getBytes(UTF_8));
    fields.put("payload".getBytes(UTF_8), payload);
    return fields;
  }

  private static byte[] json(String text) {
    return text.getBytes(UTF_8);
  }

  private static byte[] bytes(String before, byte[] middle, String after) {
    byte[] a = before.getBytes(UTF_8);
    byte[] c = after.getBytes(UTF_8);
    byte[] out = new byte[a.length + middle.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(middle, 0, out, a.length, middle.length);
    System.arraycopy(c, 0, out, a.length + middle.length, c.length);
    return out;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
