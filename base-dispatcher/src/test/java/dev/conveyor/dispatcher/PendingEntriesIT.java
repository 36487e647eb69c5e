package dev.conveyor.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The dispatcher in-process against a real Redis and PostgreSQL: what a crashed dispatcher left
 * pending in the inbox group is handled when it starts again, also when the entry is gone.
 */
@WithServices
class PendingEntriesIT {
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
  void anEntryLeftPendingByACrashIsProcessedOnRestart() {
    String node = "crashed-node";
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID id =
        fixture.publish(Map.of("pipeline", "fan", "id", "crash-1", "payload", "{\"text\":\"x\"}"));
    List<StreamMessage> taken = group.readNew(node, 10, Duration.ZERO);
    assertThat(taken).extracting(StreamMessage::id).containsExactly(id.toString());
    assertThat(group.readNew(node, 10, Duration.ZERO))
        .as("the entry is delivered once; only the pending list has it now")
        .isEmpty();
    assertThat(fixture.pendingOf(node)).isEqualTo(1);

    fixture.running(node);
    fixture.awaitHandled(id);

    assertThat(fixture.pendingOf(node)).isZero();
    assertThat(jedis.hget(keys.taskMeta("crash-1"), "dispatched")).isEqualTo("1");
    assertThat(fixture.queuedParts("fan", "a", "crash-1")).containsExactly("0");
  }

  @Test
  void aPendingEntryDeletedBeforeRestartIsRejectedAsHavingNoFields() throws Exception {
    String node = "deleted-node";
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID id =
        fixture.publish(Map.of("pipeline", "fan", "id", "deleted-1", "payload", "{}"));
    assertThat(group.readNew(node, 10, Duration.ZERO)).hasSize(1);
    jedis.xdel(keys.inbox(), id);

    fixture.running(node);
    fixture.awaitHandled(id);

    Optional<Rejected> row = fixture.rejectedRow(id);
    assertThat(row).isPresent();
    assertThat(row.get().reason()).isEqualTo("no_fields");
    assertThat(row.get().fields()).isEqualTo(JSON.readTree("{}"));
    assertThat(jedis.exists(keys.taskMeta("deleted-1"))).isFalse();
  }
}
