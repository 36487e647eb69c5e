package dev.conveyor.patrol;

import dev.conveyor.common.daemon.Launcher;

/** Starts the patrol with the environment described in docs/design.md. */
public final class PatrolMain {
  private PatrolMain() {}

  public static void main(String[] args) {
    Launcher.launch("patrol", env -> new Patrol(PatrolConfig.from(env)));
  }
}
