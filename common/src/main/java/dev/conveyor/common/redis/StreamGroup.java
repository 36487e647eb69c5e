package dev.conveyor.common.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/**
 * A consumer group on one stream: create it (from the stream's first entry, so nothing appended
 * before the group existed is missed), read pending and new entries binary-safe, acknowledge. When
 * Redis answers NOGROUP (the stream or group vanished, e.g. after a Redis restart without AOF) the
 * group is created again and the read retried once.
 */
public final class StreamGroup {
  private static final Logger log = LoggerFactory.getLogger(StreamGroup.class);
  private static final StreamEntryID FROM_START = new StreamEntryID(0, 0);

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
        entry.getFields().forEach((k, v) -> fields.put(new String(k, StandardCharsets.UTF_8), v));
        out.add(new StreamMessage(entry.getID().toString(), fields));
      }
    }
    return out;
  }
}
