package dev.conveyor.common.outage;

import dev.conveyor.common.redis.ReplicationBarrier;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Tells a failure caused by a service being away (an outage: nothing wrong with the work itself)
 * from any other failure, by the exception and its causes:
 *
 * <ul>
 *   <li>Redis: a broken, refused or timed-out connection (including a socket timeout), a cluster
 *       with no reachable node or out of attempts, a slot that moved, the replies {@code LOADING},
 *       {@code CLUSTERDOWN}, {@code MASTERDOWN}, {@code TRYAGAIN}, {@code READONLY} and {@code
 *       UNBLOCKED} (a blocking read ended by a failover), and writes that did not reach the
 *       replicas or the AOF in time; and the two ways the client's cluster pipeline shows a node
 *       that went away in the middle of a pipeline (a failover, a killed master): a reply that was
 *       never set ({@code IllegalStateException} from {@code Response.get}) and the {@code
 *       NullPointerException} of a node's connection that is gone, thrown inside the pipeline's
 *       sync;
 *   <li>PostgreSQL: SQL states {@code 08} (connection exception), {@code 57P} (shutdown, crash,
 *       still starting), {@code 53} (out of connections, memory or disk), and a pool that had no
 *       connection to give ({@link SQLTransientConnectionException}) or whose connection it closed
 *       as broken ({@code Connection is closed}), however wrapped (Quartz's exceptions, {@code
 *       DatabaseException}, ...).
 * </ul>
 *
 * A statement or lock timeout ({@code 57014}, {@code 55P03}) is not an outage: the server answered.
 */
public final class Outages {
  private static final int MAX_DEPTH = 32;
  // why: what HikariCP answers, without a SQL state, on a connection it closed because it broke
  private static final String CLOSED = "Connection is closed";
  private static final Set<String> REDIS_REPLIES =
      Set.of("LOADING", "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN", "READONLY", "UNBLOCKED");

  // why: a cluster pipeline whose node went away fails with these instead of a connection error
  // (the client only logs the broken connection); seen when a master was killed under load
  private static final String PIPELINE_REPLY = "redis.clients.jedis.Response";
  private static final String CLUSTER_PIPELINE = "redis.clients.jedis.MultiNodePipelineBase";

  private Outages() {}

  /** Which kind of service the failure is an outage of, if it is one. */
  public static Optional<Service.Kind> of(Throwable error) {
    for (Throwable t : chain(error)) {
      Optional<Service.Kind> kind = ofOne(t);
      if (kind.isPresent()) {
        return kind;
      }
    }
    return Optional.empty();
  }

  /** Whether the failure or one of its causes is of {@code type}. */
  static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    return chain(error).stream().anyMatch(type::isInstance);
  }

  /** The failure and its causes, outermost first: at most MAX_DEPTH, each once (a cycle ends). */
  private static List<Throwable> chain(Throwable error) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = error;
        t != null && seen.size() < MAX_DEPTH && seen.add(t);
        t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  /** Whether the failure is an outage of Redis or PostgreSQL. */
  public static boolean isOutage(Throwable error) {
    return of(error).isPresent();
  }

  private static Optional<Service.Kind> ofOne(Throwable t) {
    return switch (t) {
      case JedisConnectionException e -> Optional.of(Service.Kind.REDIS);
      case JedisClusterOperationException e -> Optional.of(Service.Kind.REDIS);
      case JedisRedirectionException e -> Optional.of(Service.Kind.REDIS);
      case ReplicationBarrier.ReplicationShortException e -> Optional.of(Service.Kind.REDIS);
      case JedisDataException e when redisReply(e.getMessage()) -> Optional.of(Service.Kind.REDIS);
      case IllegalStateException e when thrownBy(e, PIPELINE_REPLY) ->
          Optional.of(Service.Kind.REDIS);
      case NullPointerException e when thrownBy(e, CLUSTER_PIPELINE) ->
          Optional.of(Service.Kind.REDIS);
      case SQLTransientConnectionException e -> Optional.of(Service.Kind.POSTGRES);
      case SQLException e when postgresState(e.getSQLState()) -> Optional.of(Service.Kind.POSTGRES);
      case SQLException e when e.getSQLState() == null && CLOSED.equals(e.getMessage()) ->
          Optional.of(Service.Kind.POSTGRES);
      default -> Optional.empty();
    };
  }

  /** Whether the exception was thrown by a method of the class named (its top frame). */
  private static boolean thrownBy(Throwable t, String className) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().equals(className);
  }

  static boolean redisReply(String message) {
    if (message == null) {
      return false;
    }
    int space = message.indexOf(' ');
    return REDIS_REPLIES.contains(space < 0 ? message : message.substring(0, space));
  }

  static boolean postgresState(String state) {
    return state != null
        && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53"));
  }
}
