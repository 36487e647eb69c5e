package dev.conveyor.dispatcher;

import static dev.conveyor.dispatcher.IntakeFixture.MAX_BYTES;
import static dev.conveyor.dispatcher.IntakeFixture.fields;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The dispatcher in-process against a real Redis and PostgreSQL: every kind of bad input ends as
 * one rejected row holding the entry whole, is acknowledged, and intake goes on.
 */
@WithServices
class RejectedInputIT {
  private TestServices services;
  private IntakeFixture fixture;
  private Keys keys;
  private UnifiedJedis jedis;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    this.services = services;
    this.fixture = IntakeFixture.create(services, dir);
    this.keys = fixture.keys();
    this.jedis = fixture.jedis();
  }

  @AfterEach
  void stopDispatchers() {
    fixture.close();
  }

  @Test
  void everyBadInputIsStoredWholeOnceAndAcknowledgedAndIntakeGoesOn() throws Exception {
    Dispatcher dispatcher = fixture.running("reject-node");
    byte[] notUtf8 = {(byte) 0xFF, (byte) 0xFE, '{', '}', (byte) 0xC3};
    byte[] bigBinary = new byte[MAX_BYTES + 1000];
    new Random(7).nextBytes(bigBinary);
    String object = "{\"text\":\"Grüße aus München\"}";
    List<Bad> bad =
        List.of(
            new Bad(RejectReason.MISSING_PIPELINE, fields("id", "r-1", "payload", object)),
            new Bad(
                RejectReason.MISSING_PIPELINE,
                fields("pipeline", new byte[] {'f', (byte) 0x80}, "payload", object)),
            new Bad(RejectReason.UNKNOWN_PIPELINE, fields("pipeline", "nope", "payload", object)),
            new Bad(
                RejectReason.UNKNOWN_PIPELINE, fields("pipeline", "fa\u0000n", "payload", object)),
            new Bad(RejectReason.MISSING_PAYLOAD, fields("pipeline", "fan", "id", "r-2")),
            new Bad(
                RejectReason.PAYLOAD_TOO_LARGE,
                fields("pipeline", "fan", "payload", "{\"t\":\"" + "x".repeat(MAX_BYTES) + "\"}")),
            new Bad(
                RejectReason.PAYLOAD_TOO_LARGE, fields("pipeline", "fan", "payload", bigBinary)),
            new Bad(RejectReason.PAYLOAD_NOT_JSON, fields("pipeline", "fan", "payload", "{oops")),
            new Bad(RejectReason.PAYLOAD_NOT_JSON, fields("pipeline", "fan", "payload", notUtf8)),
            new Bad(
                RejectReason.PAYLOAD_NOT_JSON,
                fields("pipeline", "fan", "payload", "{\"a\":1} trailing")),
            new Bad(
                RejectReason.PAYLOAD_NOT_JSON,
                fields("pipeline", "fan", "payload", "nul\u0000inside")),
            new Bad(RejectReason.PAYLOAD_NOT_OBJECT, fields("pipeline", "fan", "payload", "[1,2]")),
            new Bad(RejectReason.PAYLOAD_NOT_OBJECT, fields("pipeline", "fan", "payload", "null")),
            new Bad(
                RejectReason.PAYLOAD_TOO_DEEP,
                fields("pipeline", "fan", "payload", "[".repeat(65) + "]".repeat(65))),
            new Bad(
                RejectReason.BAD_ID, fields("pipeline", "fan", "id", "doc 42", "payload", object)),
            new Bad(
                RejectReason.BAD_ID,
                fields("pipeline", "fan", "id", new byte[] {'d', (byte) 0xFF}, "payload", object)),
            new Bad(
                RejectReason.UNSPLITTABLE,
                fields("pipeline", "texts", "payload", "{\"body\":\"no text field\"}")),
            new Bad(
                RejectReason.UNSPLITTABLE,
                fields("pipeline", "texts", "payload", "{\"text\":[\"not\",\"a\",\"string\"]}")),
            new Bad(
                RejectReason.MISSING_PIPELINE,
                fields("pipe\u0000line", "fan", "payload", object, "extra", "kept")));

    List<StreamEntryID> ids = new ArrayList<>();
    for (Bad b : bad) {
      ids.add(fixture.publishRaw(b.fields()));
    }
    StreamEntryID good =
        fixture.publish(Map.of("pipeline", "fan", "id", "after-bad", "payload", object));
    fixture.awaitHandled(good);

    for (int i = 0; i < bad.size(); i++) {
      Bad b = bad.get(i);
      Optional<Rejected> row = fixture.rejectedRow(ids.get(i));
      assertThat(row).as("row for %s", b).isPresent();
      assertThat(row.get().reason()).as("reason for %s", b).isEqualTo(b.reason().code());
      assertStoredWhole(b.fields(), row.get().fields());
    }
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id IN ("
                    + String.join(",", ids.stream().map(id -> "'" + id + "'").toList())
                    + ")"))
        .as("exactly one row per bad entry")
        .isEqualTo(bad.size());
    assertThat(fixture.rejectedRow(ids.get(3)).orElseThrow().detail())
        .as("a U+0000 the producer sent is quoted in the detail as text")
        .contains("'fa\\u0000n'");
    assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    assertThat(jedis.hget(keys.taskMeta("after-bad"), "dispatched")).isEqualTo("1");
    assertThat(jedis.exists(keys.taskMeta("r-1"))).isFalse();
    assertThat(jedis.exists(keys.taskMeta("r-2"))).isFalse();
    for (Bad b : bad) {
      assertThat(
              dispatcher
                  .metrics()
                  .find("conveyor_dispatcher_rejected")
                  .tag("reason", b.reason().code())
                  .counter())
          .as("counter for %s", b.reason())
          .isNotNull();
    }
  }

  /** Every field sent is in the stored row with exactly the bytes sent. */
  private static void assertStoredWhole(Map<byte[], byte[]> sent, JsonNode stored) {
    Map<String, byte[]> expected = new LinkedHashMap<>();
    sent.forEach((k, v) ->
        expected.put(
            Rejections.storedName(
                StreamMessage.strictUtf8(k)
                    .orElseGet(() -> "base64:" + Base64.getEncoder().encodeToString(k))),
            v));
    assertThat(stored.properties().stream().map(Map.Entry::getKey).toList())
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((name, value) -> {
      JsonNode node = stored.get(name);
      byte[] bytes =
          node.isTextual()
              ? node.textValue().getBytes(UTF_8)
              : Base64.getDecoder().decode(node.get("base64").textValue());
      assertThat(bytes).as("field %s", name).isEqualTo(value);
    });
  }

  private record Bad(RejectReason reason, LinkedHashMap<byte[], byte[]> fields) {
    @Override
    public String toString() {
      Map<String, String> shown = new LinkedHashMap<>();
      fields.forEach((k, v) -> {
        String text = new String(v, UTF_8);
        shown.put(new String(k, UTF_8), text.length() > 40 ? text.substring(0, 40) + "…" : text);
      });
      return reason + " " + shown;
    }
  }
}
