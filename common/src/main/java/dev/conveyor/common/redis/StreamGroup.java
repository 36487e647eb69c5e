package dev.conveyor.common.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamConsumerInfo;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamEntryBinary;
import redis.clients.jedis.resps.StreamGroupInfo;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * A consumer group on one stream: create it (from the stream's first entry, so nothing appended
 * before the group existed is missed), read pending and new entries binary-safe, acknowledge, see
 * the group's state, undo the reads of entries a consumer held. When Redis answers NOGROUP (the
 * stream or group vanished, e.g. after a Redis restart without AOF) the group is created again and
 * the read retried once. Taking over entries of consumers that died: {@link StreamTakeover};
 * deleting the entries every group is done with: {@link StreamTrim}.
 */
public final class StreamGroup {
  private static final Logger log = LoggerFactory.getLogger(StreamGroup.class);
  static final StreamEntryID FROM_START = new StreamEntryID(0, 0);
  private static final LuaScript RESTORE_DELIVERIES = LuaScript.load("restore_deliveries");
  private static final int RESTORE_BATCH = 200;
  private static final String NONE = "0-0";

  private final UnifiedJedis jedis;
  private final String stream;
  private final String group;
  private final byte[] streamBytes;
  private final byte[] groupBytes;

  public StreamGroup(UnifiedJedis jedis, String stream, String group) {
    this.jedis = jedis;
    this.stream = stream;
    this.group = group;
    this.streamBytes = stream.getBytes(StandardCharsets.UTF_8);
    this.groupBytes = group.getBytes(StandardCharsets.UTF_8);
  }

  public String stream() {
    return stream;
  }

  public String group() {
    return group;
  }

  UnifiedJedis jedis() {
    return jedis;
  }

  /** Creates the stream and the group if missing; true when this call created the group. */
  public boolean ensure() {
    try {
      jedis.xgroupCreate(stream, group, FROM_START, true);
      log.atInfo()
          .addKeyValue("event", "group_created")
          .addKeyValue("stream", stream)
          .addKeyValue("group", group)
          .log();
      return true;
    } catch (JedisDataException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP")) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Entries delivered to {@code consumer} earlier and not yet acknowledged (its pending list), up
   * to {@code count}, oldest first. Never blocks.
   */
  public List<StreamMessage> readPending(String consumer, int count) {
    return readPending(consumer, count, FROM_START.toString());
  }

  /** The next page of the pending list: entries with an id after {@code afterId}. */
  public List<StreamMessage> readPending(String consumer, int count, String afterId) {
    return read(
        consumer, XReadGroupParams.xReadGroupParams().count(count), new StreamEntryID(afterId));
  }

  /**
   * New entries for {@code consumer}, up to {@code count}; waits up to {@code block} for the first
   * one ({@link Duration#ZERO} = do not wait).
   */
  public List<StreamMessage> readNew(String consumer, int count, Duration block) {
    XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(count);
    if (!block.isZero()) {
      // why: BLOCK 0 means "forever" to Redis; a zero wait must not send BLOCK at all
      params.block(Math.toIntExact(block.toMillis()));
    }
    return read(consumer, params, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY);
  }

  /** Acknowledges the entries; returns how many were pending. */
  public long ack(Collection<String> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    StreamEntryID[] entryIds = ids.stream().map(StreamEntryID::new).toArray(StreamEntryID[]::new);
    return jedis.xack(stream, group, entryIds);
  }

  /** How many times each of these entries pending on {@code consumer} was delivered. */
  public Map<String, Long> deliveries(String consumer, List<String> ids) {
    Map<String, Long> times = new LinkedHashMap<>();
    if (ids.isEmpty()) {
      return times;
    }
    for (StreamPendingEntry e :
        jedis.xpending(
            stream,
            group,
            XPendingParams.xPendingParams(ids.getFirst(), ids.getLast(), ids.size() + 16)
                .consumer(consumer))) {
      times.put(e.getID().toString(), e.getDeliveredTimes());
    }
    return times;
  }

  /**
   * The group as Redis sees it now: entries waiting, pending, each consumer, the last entry
   * delivered and the stream's last entry (which tell whether any waits when Redis cannot tell the
   * lag: {@link GroupState#allDelivered}).
   */
  public GroupState state() {
    try {
      long length = jedis.xlen(stream);
      for (StreamGroupInfo g : jedis.xinfoGroups(stream)) {
        if (group.equals(g.getName())) {
          Object lag = g.getGroupInfo().get("lag");
          List<GroupState.Consumer> consumers = new ArrayList<>();
          for (StreamConsumerInfo c : jedis.xinfoConsumers2(stream, group)) {
            consumers.add(new GroupState.Consumer(c.getName(), c.getPending(), c.getIdle()));
          }
          String lastDelivered = String.valueOf(g.getLastDeliveredId());
          return new GroupState(
              stream,
              group,
              length,
              lag instanceof Number n ? n.longValue() : GroupState.UNKNOWN_LAG,
              g.getPending(),
              consumers,
              lastDelivered,
              lastEntryId());
        }
      }
      return new GroupState(stream, group, length, length, 0, List.of(), NONE, lastEntryId());
    } catch (JedisDataException e) {
      // why: the stream does not exist yet
      return new GroupState(stream, group, 0, 0, 0, List.of(), NONE, NONE);
    }
  }

  /** The id of the stream's last entry, {@code 0-0} when it has none. */
  private String lastEntryId() {
    List<StreamEntry> last = jedis.xrevrange(stream, "+", "-", 1);
    return last.isEmpty() ? NONE : last.getFirst().getID().toString();
  }

  /**
   * Undoes the reads of entries this consumer holds whose handling stopped for a reason that is not
   * theirs (an outage, a suspension): their delivery counts go back to what they were before the
   * reads, where nobody read them since (one script per stream, in batches). Returns how many were
   * put back.
   */
  public long restoreDeliveries(String consumer, HeldEntries held) {
    long restored = 0;
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, Long> e : held.counts().entrySet()) {
      args.add(e.getKey());
      args.add(Long.toString(e.getValue()));
      if (args.size() >= 2 * RESTORE_BATCH) {
        restored += restoreBatch(consumer, args);
        args.clear();
      }
    }
    if (!args.isEmpty()) {
      restored += restoreBatch(consumer, args);
    }
    return restored;
  }

  private long restoreBatch(String consumer, List<String> pairs) {
    List<String> args = new ArrayList<>(pairs.size() + 2);
    args.add(group);
    args.add(consumer);
    args.addAll(pairs);
    return (Long) RESTORE_DELIVERIES.run(jedis, List.of(stream), args);
  }

  private List<StreamMessage> read(String consumer, XReadGroupParams params, StreamEntryID from) {
    try {
      return readOnce(consumer, params, from);
    } catch (JedisDataException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("NOGROUP")) {
        throw e;
      }
      log.atWarn()
          .addKeyValue("event", "group_missing")
          .addKeyValue("stream", stream)
          .addKeyValue("group", group)
          .addKeyValue("action", "recreate")
          .log();
      ensure();
      return readOnce(consumer, params, from);
    }
  }

  private List<StreamMessage> readOnce(
      String consumer, XReadGroupParams params, StreamEntryID from) {
    List<Map.Entry<byte[], List<StreamEntryBinary>>> reply =
        jedis.xreadGroupBinary(
            groupBytes,
            consumer.getBytes(StandardCharsets.UTF_8),
            params,
            Map.of(streamBytes, from));
    List<StreamMessage> out = new ArrayList<>();
    if (reply == null) {
      return out;
    }
    for (Map.Entry<byte[], List<StreamEntryBinary>> perStream : reply) {
      for (StreamEntryBinary entry : perStream.getValue()) {
        if (entry == null || entry.getFields() == null) {
          // why: a pending entry that was deleted (XDEL/XTRIM) comes back with no fields
          out.add(new StreamMessage(entry == null ? "0-0" : entry.getID().toString(), Map.of()));
          continue;
        }
        Map<String, byte[]> fields = new LinkedHashMap<>();
        entry.getFields().forEach((k, v) -> fields.put(fieldName(k), v));
        out.add(new StreamMessage(entry.getID().toString(), fields));
      }
    }
    return out;
  }

  /**
   * A field name as text: itself when it is UTF-8, else {@code base64:<its bytes>}, so no name is
   * lost or merged with another.
   */
  static String fieldName(byte[] name) {
    return StreamMessage.strictUtf8(name)
        .orElseGet(() -> "base64:" + Base64.getEncoder().encodeToString(name));
  }
}
