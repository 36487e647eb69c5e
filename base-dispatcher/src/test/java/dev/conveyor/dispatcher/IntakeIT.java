package dev.conveyor.dispatcher;

import static dev.conveyor.dispatcher.IntakeFixture.part;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The dispatcher in-process against a real Redis and PostgreSQL: a good message ends as a
 * registered task, split into parts, queued for every entry step, and acknowledged.
 */
@WithServices
class IntakeIT {
  private static final ObjectMapper JSON = new ObjectMapper();

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
  void anAcceptedMessageIsRegisteredQueuedForEveryEntryStepAndAcknowledged() throws Exception {
    fixture.running("accept-node");

    StreamEntryID id =
        fixture.publish(
            Map.of("pipeline", "fan", "id", "acc-1", "payload", "{\"text\":\"Acme hired Jane.\"}"));
    fixture.awaitHandled(id);

    Map<String, String> meta = jedis.hgetAll(keys.taskMeta("acc-1"));
    assertThat(meta)
        .containsEntry("pipeline", "fan")
        .containsEntry("version", "1")
        .containsEntry("parts", "1")
        .containsEntry("stream_id", id.toString())
        .containsEntry("received_at", Long.toString(id.getTime()))
        .containsEntry("dispatched", "1");
    assertThat(jedis.zscore(keys.inflight("fan"), "acc-1")).isEqualTo((double) id.getTime());
    assertThat(JSON.readTree(jedis.hget(keys.taskParts("acc-1"), "0")))
        .isEqualTo(JSON.readTree("{\"text\":\"Acme hired Jane.\"}"));
    assertThat(fixture.queuedParts("fan", "a", "acc-1")).containsExactly("0");
    assertThat(fixture.queuedParts("fan", "b", "acc-1")).containsExactly("0");
    assertThat(fixture.queueEntries("fan", "a", "acc-1").getFirst().getFields())
        .containsOnlyKeys("t", "p");
    assertThat(fixture.rejectedRow(id)).isEmpty();
  }

  @Test
  void aMessageWithoutIdIsRegisteredUnderItsStreamEntryId() {
    fixture.running("noid-node");

    StreamEntryID id = fixture.publish(Map.of("pipeline", "fan", "payload", "{\"n\":1}"));
    fixture.awaitHandled(id);

    assertThat(jedis.hget(keys.taskMeta(id.toString()), "dispatched")).isEqualTo("1");
    assertThat(fixture.queuedParts("fan", "a", id.toString())).containsExactly("0");
  }

  @Test
  void aTextPayloadIsSplitIntoPartsAndEveryPartIsQueued() throws Exception {
    fixture.running("split-node");
    String first = "🙂 Acme Widgets Ltd. hired Jane Smith today. ";
    String second = "Sie beginnt im März in München, sagt sie. ";
    String third = "東京タワーは東京都港区にある電波塔です。";
    String payload = JSON.createObjectNode().put("text", first + second + third).toString();

    StreamEntryID id =
        fixture.publish(Map.of("pipeline", "texts", "id", "split-1", "payload", payload));
    fixture.awaitHandled(id);

    assertThat(jedis.hget(keys.taskMeta("split-1"), "parts")).isEqualTo("3");
    assertThat(jedis.hget(keys.taskMeta("split-1"), "version")).isEqualTo("3");
    Map<String, String> parts = jedis.hgetAll(keys.taskParts("split-1"));
    assertThat(parts).containsOnlyKeys("0", "1", "2");
    assertThat(JSON.readTree(parts.get("0"))).isEqualTo(part(first, 0));
    assertThat(JSON.readTree(parts.get("1")))
        .as("the emoji is one code point")
        .isEqualTo(part(second, first.length() - 1));
    assertThat(JSON.readTree(parts.get("2")))
        .isEqualTo(part(third, first.length() - 1 + second.length()));
    assertThat(fixture.queuedParts("texts", "deliver", "split-1")).containsExactly("0", "1", "2");
  }
}
