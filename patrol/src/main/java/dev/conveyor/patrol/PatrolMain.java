package dev.conveyor.patrol;

/** Placeholder entry point. */
public final class PatrolMain {
  private PatrolMain() {}

  /** Starts the daemon. */
  public static void main(String[] args) {}
}
