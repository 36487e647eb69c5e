package dev.conveyor.runtime.resource;

import java.nio.file.Path;

/**
 * A shared resource cannot be loaded: the file is missing, unreadable, not a regular file, too
 * large, or not valid UTF-8 where text was expected. The message is one line that names the
 * resource and its file, fit to be a step's DISABLED reason.
 */
public final class ResourceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ResourceException(String name, Path file, String problem) {
    super(message(name, file, problem));
  }

  ResourceException(String name, String problem, Throwable cause) {
    super("resource '" + name + "': " + problem, cause);
  }

  ResourceException(String name, Path file, String problem, Throwable cause) {
    super(message(name, file, problem), cause);
  }

  private static String message(String name, Path file, String problem) {
    return "resource '" + name + "' (" + file + "): " + problem;
  }
}
