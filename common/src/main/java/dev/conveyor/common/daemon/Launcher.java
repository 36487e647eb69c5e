package dev.conveyor.common.daemon;

import dev.conveyor.common.config.ConfigException;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.LifecycleException;
import dev.conveyor.common.lifecycle.State;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * What every daemon's {@code main} does: read the configuration (a bad value is one ERROR line and
 * exit code 2), log it once with secrets masked, install the shutdown hook (SIGTERM = complete),
 * activate, start, and wait until the daemon is closed.
 */
public final class Launcher {
  /** Exit code when the daemon could not be made ready or failed to start. */
  public static final int EXIT_NOT_READY = 1;

  private static final Logger log = LoggerFactory.getLogger(Launcher.class);

  private Launcher() {}

  /**
   * A daemon built from the environment; throws ConfigException (a pipeline file's too) if refused.
   */
  @FunctionalInterface
  public interface Factory {
    Daemon create(Env env);
  }

  /** Runs the daemon until it is closed, then exits the JVM with its status. */
  public static void launch(String role, Factory factory) {
    UncaughtExceptions.install();
    int code = run(role, Env.system(), factory);
    System.exit(code);
  }

  /** Runs the daemon until closed; returns the exit code (for tests). */
  public static int run(String role, Env env, Factory factory) {
    Daemon daemon;
    try {
      daemon = factory.create(env);
    } catch (ConfigException e) {
      log.atError()
          .addKeyValue("event", "config_error")
          .addKeyValue("role", role)
          .addKeyValue("error", e.getMessage())
          .log();
      return ConfigException.EXIT_CODE;
    }
    logConfig(role, daemon.config().describe());
    CountDownLatch closed = new CountDownLatch(1);
    daemon.addListener((system, from, to, reason) -> {
      if (system.equals(daemon.name()) && to.isFinal()) {
        closed.countDown();
      }
    });
    Runtime.getRuntime()
        .addShutdownHook(Thread.ofPlatform().name("shutdown").unstarted(daemon::shutdown));
    daemon.activate();
    if (daemon.state() != State.READY) {
      log.atError()
          .addKeyValue("event", "not_ready")
          .addKeyValue("role", role)
          .addKeyValue("reason", daemon.reason().orElse("unknown"))
          .log();
      daemon.shutdown();
      return EXIT_NOT_READY;
    }
    try {
      daemon.start();
    } catch (LifecycleException e) {
      log.atError()
          .addKeyValue("event", "start_failed")
          .addKeyValue("role", role)
          .addKeyValue("error", e.getMessage())
          .log();
      return EXIT_NOT_READY;
    }
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      daemon.shutdown();
    }
    return daemon.state() == State.COMPLETED ? 0 : EXIT_NOT_READY;
  }

  private static void logConfig(String role, Map<String, Object> described) {
    LoggingEventBuilder line =
        log.atInfo().addKeyValue("event", "config").addKeyValue("role", role);
    described.forEach(line::addKeyValue);
    line.log();
  }
}
