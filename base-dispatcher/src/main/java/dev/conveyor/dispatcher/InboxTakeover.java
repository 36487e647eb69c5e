package dev.conveyor.dispatcher;

import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.redis.StreamTakeover;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake's takeover of a dead dispatcher's entries ({@link InboxConsumer}, every {@code
 * claim_idle / 2}): entries pending on another consumer for longer than {@code claim_idle} become
 * this consumer's pending entries; those whose content was deleted from the inbox are recorded as
 * {@code no_fields} rows; consumers that hold nothing and left long ago are removed from the group.
 * Runs on the intake thread only.
 */
final class InboxTakeover {
  private static final Logger log = LoggerFactory.getLogger(InboxTakeover.class);
  private static final int MAX_CLAIM = 10_000;
  // why: a live dispatcher touches the group every BLOCK; one silent this long, with nothing
  // pending, has left for good
  private static final int CONSUMER_GONE_AFTER_CLAIMS = 10;

  private final String consumer;
  private final Duration claimIdle;

  /** Deleted entries a takeover took off the pending list, not yet recorded. */
  private final List<StreamMessage> deletedToRecord = new ArrayList<>();

  InboxTakeover(String consumer, Duration claimIdle) {
    this.consumer = consumer;
    this.claimIdle = claimIdle;
  }

  /** Takes over what dead consumers left; true when it claimed entries (read them as pending). */
  boolean run(StreamGroup inbox, InboxConsumer.Batches handler) {
    StreamTakeover takeover = new StreamTakeover(inbox);
    StreamTakeover.Claim claim = takeover.claimIdle(consumer, claimIdle, MAX_CLAIM);
    claim.deleted().forEach(id -> deletedToRecord.add(new StreamMessage(id, Map.of())));
    if (!deletedToRecord.isEmpty()) {
      // why: their content is gone; a no_fields row records that they existed. XAUTOCLAIM has
      // already taken them off the pending list, so until recorded they are remembered only here
      handler.handle(List.copyOf(deletedToRecord), Map.of());
      deletedToRecord.clear();
    }
    int removed = takeover.removeIdleConsumers(claimIdle.multipliedBy(CONSUMER_GONE_AFTER_CLAIMS));
    if (removed > 0) {
      log.atInfo()
          .addKeyValue("event", "inbox_consumers_removed")
          .addKeyValue("consumers", removed)
          .log();
    }
    if (claim.claimed() == 0) {
      return false;
    }
    log.atInfo()
        .addKeyValue("event", "inbox_claimed")
        .addKeyValue("consumer", consumer)
        .addKeyValue("entries", claim.claimed())
        .log();
    return true;
  }
}
