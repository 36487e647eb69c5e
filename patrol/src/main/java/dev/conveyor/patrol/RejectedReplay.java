package dev.conveyor.patrol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.records.RejectedMessage;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/**
 * Publishes rejected messages to the inbox again ({@code conveyor replay --rejected [--reason R]},
 * run by patrol's {@code POST /replay}), e.g. after the pipeline they named was added: every field
 * as received, then their rows are deleted — publish first, so a crash in between loses nothing. A
 * message without an {@code id} gets its original stream entry id as id (what its id was by
 * default), so publishing it twice after such a crash still makes one task.
 */
public final class RejectedReplay {
  /** The most rejected messages one replay handles; run it again for more. */
  public static final int MAX_MESSAGES = 10_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(RejectedReplay.class);
  private static final String BASE64_NAME = "base64:";
  private static final String TRUNCATED_NAME = "truncated:";

  private final RejectedMessageRepository rejected;
  private final UnifiedJedis inboxRedis;
  private final String inbox;

  /**
   * @param inboxRedis the Redis holding the inbox ({@code CONVEYOR_INBOX_URL}, else the runtime
   *     one)
   * @param inbox the inbox stream's key
   */
  public RejectedReplay(RejectedMessageRepository rejected, UnifiedJedis inboxRedis, String inbox) {
    this.rejected = rejected;
    this.inboxRedis = inboxRedis;
    this.inbox = inbox;
  }

  /** A rejected message that was (or would be) published again, or skipped with the reason. */
  public record Outcome(RejectedMessage message, Optional<String> skipped) {}

  /** Replays the rejected messages with this reason (null: every reason), oldest first. */
  public List<Outcome> replay(String reason, boolean dryRun) {
    List<RejectedMessage> rows = new ArrayList<>(rejected.list(reason, null, null, MAX_MESSAGES));
    Collections.reverse(rows);
    List<Outcome> outcomes = new ArrayList<>();
    Map<RejectedMessage, Map<byte[], byte[]>> publish = new LinkedHashMap<>();
    for (RejectedMessage m : rows) {
      Optional<Map<byte[], byte[]>> fields = fields(m);
      Optional<String> cut = notAsReceived(m);
      if (cut.isPresent()) {
        outcomes.add(new Outcome(m, cut));
      } else if (fields.isEmpty()) {
        outcomes.add(new Outcome(m, Optional.of("it has no fields to publish")));
      } else {
        publish.put(m, fields.get());
        outcomes.add(new Outcome(m, Optional.empty()));
      }
    }
    if (dryRun || publish.isEmpty()) {
      return outcomes;
    }
    try (AbstractPipeline p = inboxRedis.pipelined()) {
      publish
          .values()
          .forEach(f -> p.xadd(inbox.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(), f));
      p.sync();
    }
    rejected.delete(publish.keySet().stream().map(RejectedMessage::id).toList());
    log.atInfo()
        .addKeyValue("event", "rejected_replayed")
        .addKeyValue("reason", reason == null ? "any" : reason)
        .addKeyValue("messages", publish.size())
        .log();
    return outcomes;
  }

  /**
   * Why the row does not hold the entry as received, if it does not: a value or name was stored cut
   * (the entry was over the limits) or the fields as a whole could not be stored.
   */
  static Optional<String> notAsReceived(RejectedMessage m) {
    JsonNode stored;
    try {
      stored = JSON.readTree(m.fields());
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    if (stored == null || !stored.isObject()) {
      return Optional.empty();
    }
    for (Map.Entry<String, JsonNode> f : stored.properties()) {
      JsonNode v = f.getValue();
      boolean asReceived = v.isTextual() || (v.isObject() && v.path("base64").isTextual());
      if (f.getKey().startsWith(TRUNCATED_NAME) || !asReceived) {
        return Optional.of(
            "it was stored cut (field " + f.getKey() + "): it cannot be published as received");
      }
    }
    return Optional.empty();
  }

  /** The entry's fields as they were received; empty when there are none. */
  static Optional<Map<byte[], byte[]>> fields(RejectedMessage m) {
    JsonNode stored;
    try {
      stored = JSON.readTree(m.fields());
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    if (stored == null || !stored.isObject() || stored.isEmpty()) {
      return Optional.empty();
    }
    Map<byte[], byte[]> fields = new LinkedHashMap<>();
    boolean hasId = false;
    for (Map.Entry<String, JsonNode> f : stored.properties()) {
      byte[] name = name(f.getKey());
      JsonNode v = f.getValue();
      byte[] value =
          v.isObject() && v.has("base64")
              ? Base64.getDecoder().decode(v.get("base64").asText())
              : v.asText().getBytes(StandardCharsets.UTF_8);
      hasId |= f.getKey().equals("id");
      fields.put(name, value);
    }
    if (!hasId) {
      fields.put(utf8("id"), utf8(m.streamId()));
    }
    return Optional.of(fields);
  }

  private static byte[] name(String stored) {
    if (stored.startsWith(BASE64_NAME)) {
      try {
        return Base64.getDecoder().decode(stored.substring(BASE64_NAME.length()));
      } catch (IllegalArgumentException e) {
        return utf8(stored);
      }
    }
    return utf8(stored);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
