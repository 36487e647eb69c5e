package dev.conveyor.dispatcher;

/** Placeholder entry point. */
public final class DispatcherMain {
  private DispatcherMain() {}

  /** Starts the daemon. */
  public static void main(String[] args) {}
}
