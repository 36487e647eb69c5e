package dev.conveyor.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout the tests run in: jars, scripts and example pipelines. */
final class Repo {
  private Repo() {}

  static Path root() {
    String configured = System.getProperty("conveyor.repo.root");
    if (configured != null && Files.exists(Path.of(configured, "mvnw"))) {
      return Path.of(configured);
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("cannot find the repository root (a directory with mvnw)");
    }
    return dir;
  }
}
