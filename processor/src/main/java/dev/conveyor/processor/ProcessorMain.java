package dev.conveyor.processor;

import dev.conveyor.common.daemon.Launcher;

/** Starts the processor with the environment described in docs/design.md. */
public final class ProcessorMain {
  private ProcessorMain() {}

  public static void main(String[] args) {
    Launcher.launch("processor", env -> new Processor(ProcessorConfig.from(env)));
  }
}
