package dev.conveyor.runtime.work.command;

/**
 * A command step cannot take work: its program cannot be started, exits at once, or all its workers
 * are down; or the step is closed. Thrown from {@link CommandWork#start()} (the step becomes
 * DISABLED with the message as reason) and from {@link CommandWork#process} (the batch was not
 * attempted and stays queued).
 */
public final class CommandUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CommandUnavailableException(String message) {
    super(message);
  }
}
