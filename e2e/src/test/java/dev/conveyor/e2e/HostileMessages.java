package dev.conveyor.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conveyor.common.redis.Keys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/**
 * The messages of {@link HostileContentIT}, for each of its pipelines ({@code echo}, {@code java},
 * {@code cmd}): every hostile one, written to the inbox as raw fields, each followed by good ones,
 * and the one place where each must end ({@link Place}).
 */
final class HostileMessages {
  static final int GOOD_PER_PIPELINE = 40;

  private final List<Sent> sent = new ArrayList<>();

  private int good;

  /** Where a message must end. */
  sealed interface Place {}

  record Rejected(String reason) implements Place {}

  record Dead(String step, String error) implements Place {}

  record Delivered(String text) implements Place {}

  /** One message sent: its pipeline (table), id and stream entry. */
  record Sent(String what, String table, String id, String streamId, Place place) {}

  /** The messages sent so far, in order. */
  List<Sent> sent() {
    return sent;
  }

  /** How many good messages were sent. */
  int good() {
    return good;
  }

  /** Every hostile message for each pipeline, each followed by good ones. */
  void sendAll(UnifiedJedis jedis, Keys keys) {
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

  void sendGood(UnifiedJedis jedis, Keys keys, String p, String suffix, String text) {
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

  void send(
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

  void add(
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

  long count(java.util.function.Predicate<Place> p) {
    return sent.stream().filter(s -> p.test(s.place())).count();
  }

  String idOf(String what) {
    return sent.stream().filter(s -> s.what().equals(what)).findFirst().orElseThrow().streamId();
  }

  static String pipelineOf(String p) {
    return switch (p) {
      case "echo" -> "echo";
      case "java" -> "viajava";
      default -> "viacmd";
    };
  }

  static Map<byte[], byte[]> message(String pipeline, String id, byte[] payload) {
    Map<byte[], byte[]> fields = new LinkedHashMap<>();
    fields.put("pipeline".getBytes(UTF_8), pipeline.getBytes(UTF_8));
    fields.put("id".getBytes(UTF_8), id.getBytes(UTF_8));
    fields.put("payload".getBytes(UTF_8), payload);
    return fields;
  }

  static byte[] json(String text) {
    return text.getBytes(UTF_8);
  }

  static byte[] bytes(String before, byte[] middle, String after) {
    byte[] a = before.getBytes(UTF_8);
    byte[] c = after.getBytes(UTF_8);
    byte[] out = new byte[a.length + middle.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(middle, 0, out, a.length, middle.length);
    System.arraycopy(c, 0, out, a.length + middle.length, c.length);
    return out;
  }
}
