package dev.conveyor.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The dispatcher in-process against a real Redis and PostgreSQL: a message whose id was seen
 * (registered, in the same batch, or already audited) is acknowledged as a duplicate and creates
 * nothing.
 */
@WithServices
class DuplicatesIT {
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
  void aDuplicateIdIsAcknowledgedAndCreatesNothingNew() {
    Dispatcher dispatcher = fixture.running("dup-node");
    StreamEntryID first =
        fixture.publish(
            Map.of("pipeline", "fan", "id", "dup-1", "payload", "{\"text\":\"first\"}"));
    fixture.awaitHandled(first);
    long queueA = jedis.xlen(keys.stepQueue("fan", "a", 0));
    long queueB = jedis.xlen(keys.stepQueue("fan", "b", 0));
    Map<String, String> meta = jedis.hgetAll(keys.taskMeta("dup-1"));
    Map<String, String> parts = jedis.hgetAll(keys.taskParts("dup-1"));

    StreamEntryID second =
        fixture.publish(
            Map.of("pipeline", "fan", "id", "dup-1", "payload", "{\"text\":\"second\"}"));
    fixture.awaitHandled(second);

    assertThat(jedis.xlen(keys.stepQueue("fan", "a", 0))).isEqualTo(queueA);
    assertThat(jedis.xlen(keys.stepQueue("fan", "b", 0))).isEqualTo(queueB);
    assertThat(jedis.hgetAll(keys.taskMeta("dup-1"))).isEqualTo(meta);
    assertThat(jedis.hgetAll(keys.taskParts("dup-1"))).isEqualTo(parts);
    assertThat(fixture.rejectedRow(second)).as("a duplicate is not a rejection").isEmpty();
    assertThat(dispatcher.metrics().find("conveyor_dispatcher_duplicates").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void twoMessagesWithTheSameIdInOneBatchAreRegisteredOnce() {
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID first =
        fixture.publish(Map.of("pipeline", "fan", "id", "batch-dup", "payload", "{\"n\":1}"));
    StreamEntryID second =
        fixture.publish(Map.of("pipeline", "fan", "id", "batch-dup", "payload", "{\"n\":2}"));

    fixture.running("batch-node");
    fixture.awaitHandled(second);

    assertThat(jedis.hget(keys.taskMeta("batch-dup"), "stream_id")).isEqualTo(first.toString());
    assertThat(fixture.queuedParts("fan", "a", "batch-dup")).containsExactly("0");
    assertThat(fixture.queuedParts("fan", "b", "batch-dup")).containsExactly("0");
  }

  @Test
  void anIdThatAlreadyHasAnAuditRowIsADuplicate() {
    Instant received = Instant.now().minusSeconds(3600);
    new TaskAuditRepository(services.dataSource())
        .insert(
            new TaskAudit(
                "audited-1",
                "fan",
                1,
                TaskAudit.Outcome.DELIVERED,
                1,
                0,
                1,
                "1-0",
                received,
                received.plusSeconds(5),
                Optional.of(received.plusSeconds(60))));
    Dispatcher dispatcher = fixture.running("audit-node");
    long queueA = jedis.xlen(keys.stepQueue("fan", "a", 0));

    StreamEntryID id =
        fixture.publish(Map.of("pipeline", "fan", "id", "audited-1", "payload", "{}"));
    fixture.awaitHandled(id);

    assertThat(jedis.exists(keys.taskMeta("audited-1"))).isFalse();
    assertThat(jedis.exists(keys.taskParts("audited-1"))).isFalse();
    assertThat(jedis.zscore(keys.inflight("fan"), "audited-1")).isNull();
    assertThat(jedis.xlen(keys.stepQueue("fan", "a", 0))).isEqualTo(queueA);
    assertThat(fixture.queuedParts("fan", "a", "audited-1")).isEmpty();
    assertThat(fixture.rejectedRow(id)).isEmpty();
    assertThat(dispatcher.metrics().find("conveyor_dispatcher_duplicates").counter().count())
        .isEqualTo(1.0);
  }
}
