package dev.conveyor.patrol;

import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.redis.Keys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Watches the daemons' heartbeats. Every node is in the index {@code ns:nodes} (node id → last
 * beat, ms) and, while it is alive, has a heartbeat hash {@code ns:node:<id>} that expires three
 * beats after its last one; a node in the index whose hash is gone is dead, and one whose last beat
 * says {@code COMPLETED} (a clean stop) has left. Each {@link #round()} lists them, logs the
 * changes since the previous round ({@code node_died}, {@code node_left}, {@code node_returned}),
 * publishes the gauge {@code conveyor_nodes{state}} and forgets nodes dead for longer than the
 * retention, so the index does not grow with every node id (hostname-pid) ever seen. {@link
 * #nodes()} is the last round's list, for {@code /status}.
 *
 * <p>A dead node's hash is gone, so its role, state and version are those of the last round that
 * saw it alive; a node already dead when this patrol started shows only its id and last beat.
 */
final class NodeWatch {
  /** How long a dead node stays listed unless told otherwise. */
  static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

  private static final Logger log = LoggerFactory.getLogger(NodeWatch.class);
  private static final String CLEAN_STOP = "COMPLETED";
  private static final Comparator<Node> ORDER =
      Comparator.comparing((Node n) -> !n.live())
          .thenComparing(Node::role, Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(Node::id);

  private final Keys keys;
  private final NodeReader reader;
  private final Supplier<UnifiedJedis> jedis;
  private final Clock clock;
  private final Duration retention;
  private final AtomicLong live = new AtomicLong();
  private final AtomicLong dead = new AtomicLong();
  private final Counter forgotten;
  private Map<String, Node> previous;
  private volatile List<Node> last = List.of();

  /**
   * @param jedis the runtime Redis, where the daemons write their heartbeats
   * @param clock for the retention of dead nodes (tests move it)
   * @param retention a node whose last beat is older than this, and that is dead, is removed from
   *     the index
   */
  NodeWatch(
      Keys keys,
      Supplier<UnifiedJedis> jedis,
      MeterRegistry registry,
      Clock clock,
      Duration retention) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be > 0, was " + retention);
    }
    this.keys = keys;
    this.reader = new NodeReader(keys);
    this.jedis = jedis;
    this.clock = clock;
    this.retention = retention;
    Gauge.builder("conveyor_nodes", live, AtomicLong::get)
        .description("Daemons with a live heartbeat (live) or listed without one (dead)")
        .tag("state", "live")
        .register(registry);
    Gauge.builder("conveyor_nodes", dead, AtomicLong::get).tag("state", "dead").register(registry);
    this.forgotten =
        Counter.builder("conveyor_patrol_nodes_forgotten_total")
            .description("Dead nodes removed from the node index after the retention")
            .register(registry);
  }

  /** With the system clock and the default retention (24 h). */
  NodeWatch(Keys keys, Supplier<UnifiedJedis> jedis, MeterRegistry registry) {
    this(keys, jedis, registry, Clock.systemUTC(), DEFAULT_RETENTION);
  }

  /**
   * One round: list the nodes, log who died or came back since the previous round, forget nodes
   * dead for longer than the retention, publish.
   */
  void round() {
    UnifiedJedis j = jedis.get();
    Instant cutoff = clock.instant().minus(retention);
    Map<String, Node> now = new HashMap<>();
    List<String> forget = new ArrayList<>();
    for (NodeBeat beat : reader.read(j)) {
      String id = beat.id();
      Instant lastBeat = beat.lastBeat();
      Node before = previous == null ? null : previous.get(id);
      // why: a node whose last beat says it stopped has left at once, with what it said last
      Node node =
          beat.live() || beat.stopped()
              ? new Node(
                  id,
                  beat.role(),
                  beat.state(),
                  beat.version(),
                  beat.startedAt(),
                  lastBeat,
                  beat.live())
              : dead(id, lastBeat, before);
      if (!node.live() && lastBeat.isBefore(cutoff)) {
        forget.add(id);
        continue;
      }
      now.put(id, node);
      if (before != null) {
        report(before, node);
      }
    }
    if (!forget.isEmpty()) {
      // why: a node that beat again since the read above has a new score and re-adds itself with
      // its next beat anyway; only dead nodes are removed
      j.zrem(keys.nodes(), forget.toArray(String[]::new));
      forgotten.increment(forget.size());
    }
    previous = now;
    List<Node> sorted = new ArrayList<>(now.values());
    sorted.sort(ORDER);
    last = List.copyOf(sorted);
    live.set(sorted.stream().filter(Node::live).count());
    dead.set(sorted.size() - live.get());
  }

  /** The nodes as of the last round: live ones first, then by role and id. */
  List<Node> nodes() {
    return last;
  }

  private static Node dead(String id, Instant lastBeat, Node before) {
    return before == null
        ? new Node(id, null, null, null, null, lastBeat, false)
        : new Node(
            id,
            before.role(),
            before.state(),
            before.version(),
            before.startedAt(),
            lastBeat,
            false);
  }

  private static void report(Node before, Node node) {
    if (before.live() && !node.live()) {
      // (a node seen stopped has the state of its last beat; one that vanished, the last seen)
      boolean clean = CLEAN_STOP.equals(node.state());
      // why: a daemon that stopped cleanly writes a last beat with its final state; only a node
      // that vanished while working is a warning
      (clean ? log.atInfo() : log.atWarn())
          .addKeyValue("event", clean ? "node_left" : "node_died")
          .addKeyValue("node", node.id())
          .addKeyValue("role", node.role())
          .addKeyValue("last_state", node.state())
          .addKeyValue("last_beat", node.lastBeat())
          .log();
    } else if (!before.live() && node.live()) {
      log.atInfo()
          .addKeyValue("event", "node_returned")
          .addKeyValue("node", node.id())
          .addKeyValue("role", node.role())
          .addKeyValue("state", node.state())
          .addKeyValue("started_at", node.startedAt())
          .log();
    }
  }

  /**
   * One daemon as its heartbeat shows it.
   *
   * @param role {@code dispatcher}, {@code processor} or {@code patrol}; null when never seen alive
   * @param state its lifecycle state (for a dead node: the last one seen)
   * @param startedAt when the daemon started
   * @param lastBeat its last heartbeat
   * @param live whether its heartbeat has not expired
   */
  record Node(
      String id,
      String role,
      String state,
      String version,
      Instant startedAt,
      Instant lastBeat,
      boolean live) {}
}
