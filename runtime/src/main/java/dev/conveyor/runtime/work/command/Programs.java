package dev.conveyor.runtime.work.command;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the program of a command before it is started, so that a missing one is reported by name
 * rather than as an {@code error=2} from the operating system.
 */
final class Programs {
  private Programs() {}

  /**
   * What to start for {@code program}: a name with a slash is a path, relative to {@code dir}, and
   * becomes absolute; a bare name is looked up on {@code path} (a {@code PATH} value, may be null)
   * and stays as it is.
   *
   * @throws IllegalArgumentException naming what is missing: the program, or its execute permission
   */
  static String resolve(String program, Path dir, String path) {
    if (program.isEmpty()) {
      throw new IllegalArgumentException("command is empty");
    }
    if (program.indexOf('/') >= 0) {
      Path file = dir.resolve(program).normalize();
      if (!Files.exists(file)) {
        throw new IllegalArgumentException("command not found: " + program + " (no " + file + ")");
      }
      if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
        throw new IllegalArgumentException("command not executable: " + file);
      }
      return file.toString();
    }
    Path notExecutable = null;
    for (String entry : path == null ? new String[0] : path.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path file = Path.of(entry, program);
      if (Files.isRegularFile(file)) {
        if (Files.isExecutable(file)) {
          return program;
        }
        notExecutable = notExecutable == null ? file : notExecutable;
      }
    }
    if (notExecutable != null) {
      throw new IllegalArgumentException("command not executable: " + notExecutable);
    }
    throw new IllegalArgumentException("command not found: " + program);
  }
}
