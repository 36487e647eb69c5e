package dev.conveyor.dispatcher;

import dev.conveyor.common.daemon.Launcher;

/** Starts the dispatcher with the environment described in docs/design.md. */
public final class DispatcherMain {
  private DispatcherMain() {}

  public static void main(String[] args) {
    Launcher.launch("dispatcher", env -> new Dispatcher(DispatcherConfig.from(env)));
  }
}
