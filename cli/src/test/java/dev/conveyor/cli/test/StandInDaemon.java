package dev.conveyor.cli.test;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.test.TestServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A daemon as the CLI finds one, with none of a real daemon's work: the {@link Daemon} base with
 * its HTTP ({@code /suspend}, {@code /resume}, the admin token and any route given), Redis and the
 * heartbeat. Patrol's tests give it patrol's {@code POST /replay}.
 */
public final class StandInDaemon extends Daemon {

  /** An extra HTTP route; it needs the admin token. */
  public record Route(String method, String path, Handler handler) {}

  // why: route() and the subsystems belong in the constructor, as in the real daemons
  @SuppressWarnings("this-escape")
  private StandInDaemon(String role, ConveyorConfig config, List<Route> routes) {
    super(role, config);
    routes.forEach(r -> route(r.method(), r.path(), r.handler(), true));
    addHttp();
    RedisSubsystem redis =
        add(new RedisSubsystem("redis", config.redis(), Endpoint.RUNTIME, config.nodeId(), 2, 1));
    addHeartbeat(redis);
  }

  /**
   * Starts a daemon of {@code role} named {@code node} with HTTP on a free port of 127.0.0.1 and
   * {@code adminToken}, and waits until its heartbeat says RUNNING.
   */
  public static StandInDaemon start(
      TestServices services,
      Map<String, String> env,
      String role,
      String node,
      String adminToken,
      Route... routes) {
    Map<String, String> own = new HashMap<>(env);
    own.put("CONVEYOR_HTTP_PORT", Integer.toString(freePort()));
    own.put("CONVEYOR_HTTP_HOST", "127.0.0.1");
    own.put("CONVEYOR_NODE_ID", node);
    own.put("CONVEYOR_ADMIN_TOKEN", adminToken);
    StandInDaemon daemon =
        new StandInDaemon(role, ConveyorConfig.from(Env.of(own)), List.of(routes));
    daemon.activate();
    daemon.start();
    await()
        .atMost(10, SECONDS)
        .until(() -> services.jedis().hget(services.keys().node(node), "http") != null);
    // why: the first beat may still say READY (the heartbeat starts last); the next one, 5 s on,
    // says RUNNING
    await()
        .atMost(15, SECONDS)
        .until(() -> "RUNNING".equals(services.jedis().hget(services.keys().node(node), "state")));
    return daemon;
  }

  /** Stops the daemon and removes its heartbeat, so that the CLI no longer finds it. */
  public void forget(TestServices services) {
    complete();
    services.jedis().del(services.keys().node(config().nodeId()));
    services.jedis().zrem(services.keys().nodes(), config().nodeId());
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
