package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * What a reader's reads count: reads that ended in an outage are undone ({@link
 * StreamGroup#restoreDeliveries}), a read nobody undid (a crash) still counts, and whether a group
 * has read all of its stream is told exactly also when Redis cannot tell the lag.
 */
@WithServices
class DeliveryCountsIT {

  @Test
  void readsUndoneAfterAnOutageCountNoDelivery(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":undo";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    for (int i = 0; i < 3; i++) {
      jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", Integer.toString(i)));
    }

    for (int outage = 0; outage < 5; outage++) {
      HeldEntries held = new HeldEntries();
      List<StreamMessage> read =
          outage == 0 ? group.readNew("c", 10, Duration.ZERO) : group.readPending("c", 10);
      if (outage == 0) {
        held.readNew(read);
      } else {
        held.readPending(read);
        held.counted(group.deliveries("c", ids(read)));
      }
      // the work on them failed: Redis or PostgreSQL went away
      assertThat(group.restoreDeliveries("c", held)).isEqualTo(3);
    }

    List<StreamMessage> again = group.readPending("c", 10);
    assertThat(group.deliveries("c", ids(again)))
        .as("five reads that ended in outages, then one more: delivered once")
        .containsOnlyKeys(ids(again))
        .allSatisfy((id, times) -> assertThat(times).isEqualTo(1L));
  }

  @Test
  void aReadNobodyUndidStillCountsAndOneSinceIsKept(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":crash";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "2"));
    HeldEntries held = new HeldEntries();
    List<StreamMessage> read = group.readNew("c", 10, Duration.ZERO);
    held.readNew(read);

    // a crash: the reader died holding them; its successor reads them again
    group.readPending("c", 10);
    assertThat(group.restoreDeliveries("c", held))
        .as("read again since: that delivery is not the held one's to undo")
        .isZero();
    group.ack(List.of(read.get(1).id()));
    HeldEntries unknown = new HeldEntries();
    unknown.readPending(List.of(read.get(0)));
    assertThat(group.restoreDeliveries("c", unknown))
        .as("a count not known after the read is lowered by one")
        .isEqualTo(1);
    HeldEntries acknowledged = new HeldEntries();
    acknowledged.readNew(List.of(read.get(1)));
    assertThat(group.restoreDeliveries("c", acknowledged))
        .as("an acknowledged entry is left alone")
        .isZero();
    assertThat(group.deliveries("c", List.of(read.get(0).id())))
        .containsEntry(read.get(0).id(), 1L);
  }

  @Test
  void anEntryWaitingBehindADeletedOneIsNotDrainedThoughRedisCannotTellTheLag(
      TestServices services) {
    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    String stream = keys.stepQueue("lag", "s", 0);
    StreamGroup group = new StreamGroup(jedis, stream, Keys.PROCESSOR_GROUP);
    group.ensure();
    StreamEntryID a = jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    StreamEntryID b = jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "2"));
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "3"));
    group.ack(ids(group.readNew("tick", 1, Duration.ZERO)));
    // why: an undelivered entry deleted from the middle: Redis can no longer count the lag
    jedis.xdel(stream, b);

    GroupState state = group.state();
    assertThat(state.lag()).as("Redis cannot tell").isEqualTo(GroupState.UNKNOWN_LAG);
    assertThat(state.lastDelivered()).isEqualTo(a.toString());
    assertThat(state.allDelivered()).isFalse();

    group.ack(ids(group.readNew("tick", 10, Duration.ZERO)));
    assertThat(group.state().lag())
        .as("Redis counts the deleted entry as still waiting")
        .isEqualTo(1);
    assertThat(group.state().allDelivered()).isTrue();
  }

  private static List<String> ids(List<StreamMessage> entries) {
    return entries.stream().map(StreamMessage::id).toList();
  }
}
