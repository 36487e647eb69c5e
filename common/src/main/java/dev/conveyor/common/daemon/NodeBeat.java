package dev.conveyor.common.daemon;

import dev.conveyor.common.lifecycle.State;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * One node of the heartbeat index as Redis holds it now.
 *
 * @param id the node id ({@code CONVEYOR_NODE_ID})
 * @param lastBeat its last heartbeat (its score in the index)
 * @param fields its heartbeat hash (role, state, version, pid, started_at, beat_at, http); empty
 *     when the hash expired: the node is dead. A node whose last beat says a final state ({@code
 *     COMPLETED} on a clean stop) has left: it is not live either, though its hash still shows it.
 */
public record NodeBeat(String id, Instant lastBeat, Map<String, String> fields) {
  public NodeBeat {
    fields = Map.copyOf(fields);
  }

  /** Whether its heartbeat has not expired and does not say that it stopped. */
  public boolean live() {
    return !fields.isEmpty() && !stopped();
  }

  /** Whether its last beat says it stopped ({@code COMPLETED} or {@code TERMINATED}). */
  public boolean stopped() {
    String state = state();
    return State.COMPLETED.name().equals(state) || State.TERMINATED.name().equals(state);
  }

  /** {@code dispatcher}, {@code processor} or {@code patrol}; null when its hash expired. */
  public String role() {
    return fields.get("role");
  }

  /** Its lifecycle state; null when its hash expired. */
  public String state() {
    return fields.get("state");
  }

  public String version() {
    return fields.get("version");
  }

  /** When the daemon started, if its heartbeat says. */
  public Instant startedAt() {
    String text = fields.get("started_at");
    try {
      return text == null ? null : Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@code host:port} of its HTTP server, when it has one and is alive. */
  public Optional<String> http() {
    return Optional.ofNullable(fields.get("http"));
  }
}
