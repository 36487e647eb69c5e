package dev.conveyor.common.daemon;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.PipelineReplies;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;

/**
 * One daemon's heartbeat: a hash {@code ns:node:<id>} (role, lifecycle state, version, pid, start
 * time, last beat and, when its HTTP is on, {@code http}: the {@code host:port} the operator CLI
 * reaches it at) that expires after three missed beats, and the node's score in the {@code
 * ns:nodes} index, so patrol can list live nodes and notice dead ones.
 *
 * <p>On a clean stop the last beat says {@code COMPLETED} ({@link #leave()}), so that every reader
 * of the heartbeats (a processor's chain share, patrol's node watch, {@code conveyor status} and
 * {@code suspend|resume}) drops the node at once instead of counting it until the hash expires.
 */
public final class Heartbeat {
  /**
   * The longest a node's hash outlives its last beat: the clean stop's last beat lives this long.
   */
  public static final Duration LAST_BEAT_LIFE = Duration.ofMinutes(1);

  private final Supplier<UnifiedJedis> jedis;
  private final Keys keys;
  private final String nodeId;
  private final String role;
  private final Supplier<String> state;
  private final Duration interval;
  private final Clock clock;
  private final Instant startedAt;
  private final Supplier<Optional<String>> http;

  /** A heartbeat without an HTTP address (a daemon whose HTTP is off). */
  public Heartbeat(
      Supplier<UnifiedJedis> jedis,
      Keys keys,
      String nodeId,
      String role,
      Supplier<String> state,
      Duration interval,
      Clock clock) {
    this(jedis, keys, nodeId, role, state, interval, clock, Optional::empty);
  }

  /**
   * @param http the {@code host:port} of the daemon's HTTP server, empty while it has none
   */
  public Heartbeat(
      Supplier<UnifiedJedis> jedis,
      Keys keys,
      String nodeId,
      String role,
      Supplier<String> state,
      Duration interval,
      Clock clock,
      Supplier<Optional<String>> http) {
    this.http = http;
    this.jedis = jedis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.role = role;
    this.state = state;
    this.interval = interval;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  public Duration interval() {
    return interval;
  }

  /** Writes the heartbeat now. */
  public void beat() {
    write(state.get(), interval.multipliedBy(3));
  }

  /**
   * A last beat on a clean stop, saying {@code COMPLETED}: the node is gone for every count at
   * once, and its final state stays visible for a minute, then expires.
   */
  public void leave() {
    // why: the heartbeat stops first (it is the daemon's last subsystem, and subsystems stop in
    // reverse), while the daemon still says RUNNING; a node id is not reused after a stop (compose
    // gives a new container a new one), so a RUNNING last beat counted a dead node for a minute
    write(State.COMPLETED.name(), LAST_BEAT_LIFE);
  }

  private void write(String currentState, Duration ttl) {
    Instant now = clock.instant();
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("role", role);
    fields.put("state", currentState);
    fields.put("version", Version.current());
    fields.put("pid", Long.toString(ProcessHandle.current().pid()));
    fields.put("started_at", startedAt.toString());
    fields.put("beat_at", now.toString());
    http.get().ifPresent(address -> fields.put("http", address));
    String key = keys.node(nodeId);
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.get().pipelined()) {
      replies.add(p.hset(key, fields));
      replies.add(p.pexpire(key, ttl.toMillis()));
      replies.add(p.zadd(keys.nodes(), now.toEpochMilli(), nodeId));
      p.sync();
    }
    replies.check();
  }
}
