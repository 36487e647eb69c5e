package dev.conveyor.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

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

  /**
   * {@code deploy/pipelines/ner.yaml} as shipped, changed by {@code patch}, written into {@code
   * dir} with a link to the shipped resources ({@code data/}); returns {@code dir}.
   */
  static Path nerPipeline(Path dir, UnaryOperator<String> patch) throws IOException {
    Files.createDirectories(dir);
    Path shipped = root().resolve("deploy/pipelines");
    Files.writeString(
        dir.resolve("ner.yaml"), patch.apply(Files.readString(shipped.resolve("ner.yaml"))));
    Files.createSymbolicLink(dir.resolve("data"), shipped.resolve("data"));
    return dir;
  }
}
