package dev.conveyor.processor;

/** Placeholder entry point. */
public final class ProcessorMain {
  private ProcessorMain() {}

  /** Starts the daemon. */
  public static void main(String[] args) {}
}
