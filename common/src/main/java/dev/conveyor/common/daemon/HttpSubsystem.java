package dev.conveyor.common.daemon;

import dev.conveyor.common.http.StatusHttpServer;
import dev.conveyor.common.lifecycle.Lifecycle;

/**
 * The daemon's status server as a subsystem. It listens from activation on, so {@code /health}
 * answers (503) while the rest of the daemon is still coming up.
 */
final class HttpSubsystem extends Lifecycle {
  private final StatusHttpServer server;

  HttpSubsystem(StatusHttpServer server) {
    super("http");
    this.server = server;
  }

  int port() {
    return server.port();
  }

  @Override
  protected void onActivate() {
    server.start();
  }

  @Override
  protected void onComplete() {
    server.close();
  }

  @Override
  protected void onTerminate() {
    server.close();
  }
}
