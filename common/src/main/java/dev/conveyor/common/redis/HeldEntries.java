package dev.conveyor.common.redis;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entries a reader of a consumer group holds: read (each read counts a delivery) and not yet
 * acknowledged, each with its delivery count right after the read when known. When the work on them
 * stops for a reason that is not theirs — Redis or PostgreSQL down, a suspension — {@link
 * StreamGroup#restoreDeliveries} undoes the reads, so only a reader that died while holding an
 * entry (a crash, maybe because of the entry) leaves a delivery counted. Used by one thread.
 */
public final class HeldEntries {
  static final long UNKNOWN = -1;

  private final Map<String, Long> afterRead = new LinkedHashMap<>();

  /** Entries read as new: delivered once. */
  public void readNew(List<StreamMessage> entries) {
    entries.forEach(e -> afterRead.put(e.id(), 1L));
  }

  /** Entries read again from the pending list; their counts follow with {@link #counted}. */
  public void readPending(List<StreamMessage> entries) {
    entries.forEach(e -> afterRead.putIfAbsent(e.id(), UNKNOWN));
  }

  /** The delivery counts of held entries, as read after the read (XPENDING). */
  public void counted(Map<String, Long> deliveries) {
    deliveries.forEach((id, times) -> afterRead.computeIfPresent(id, (k, v) -> times));
  }

  /** The entries were acknowledged (or deliberately left counted): nothing to undo. */
  public void release() {
    afterRead.clear();
  }

  /** These entries were acknowledged: nothing to undo for them; the others stay held. */
  public void release(Collection<String> ids) {
    ids.forEach(afterRead::remove);
  }

  public boolean isEmpty() {
    return afterRead.isEmpty();
  }

  public int size() {
    return afterRead.size();
  }

  /** Entry id → delivery count right after the read ({@code -1} when not known). */
  Map<String, Long> counts() {
    return Map.copyOf(afterRead);
  }
}
