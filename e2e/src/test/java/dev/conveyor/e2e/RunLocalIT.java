package dev.conveyor.e2e;

import static dev.conveyor.e2e.ScriptRun.bash;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/bin/run-local}, which starts the trio without Docker: the JVM flags of the images
 * and its env file, where the shell wins as with compose.
 */
class RunLocalIT {
  private static DeployFiles files;

  @BeforeAll
  static void read() throws IOException {
    files = DeployFiles.read();
  }

  @Test
  void runLocalGivesTheJvmTheImagesFlags() throws IOException {
    String entrypoint = Files.readString(files.root().resolve("deploy/docker/entrypoint"));
    String runLocal = Files.readString(files.root().resolve("deploy/bin/run-local"));
    Matcher m = Pattern.compile("(?m)^\\s+(-(?:XX:|D|Xlog:)\\S+)\\s*\\\\?$").matcher(entrypoint);
    List<String> flags = new ArrayList<>();
    while (m.find()) {
      flags.add(m.group(1));
    }
    assertThat(flags).contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");
    // a laptop has no container limit to take 75% of; everything else is the same
    flags.remove("-XX:MaxRAMPercentage=75");
    // and the class-data archive lives beside the jar, not in a container's /tmp
    assertThat(flags).contains("-XX:SharedArchiveFile=/tmp/conveyor.jsa");
    flags.remove("-XX:SharedArchiveFile=/tmp/conveyor.jsa");
    assertThat(runLocal).contains("-XX:SharedArchiveFile=\"${jar%.jar}.jsa\"");
    assertThat(flags).allSatisfy(f -> assertThat(runLocal).contains(f));
  }

  @Test
  void anArchiveOlderThanTheJarIsWrittenAnew() throws Exception {
    Path jar = files.root().resolve("base-dispatcher/target/conveyor-dispatcher.jar");
    Path archive = files.root().resolve("base-dispatcher/target/conveyor-dispatcher.jsa");
    // an archive of an earlier build: the JVM would neither map it nor write over it
    Files.writeString(archive, "an archive of an earlier build");
    FileTime built = Files.getLastModifiedTime(jar);
    Files.setLastModifiedTime(archive, FileTime.from(built.toInstant().minusSeconds(60)));

    ScriptRun run =
        bash(Map.of("CONVEYOR_HTTP_PORT", "not-a-port"), "deploy/bin/run-local", "dispatcher");

    assertThat(run.code()).as("the daemon stops on its configuration").isEqualTo(2);
    assertThat(Files.getLastModifiedTime(archive)).isGreaterThan(built);
    assertThat(Files.size(archive)).as("an archive the JVM wrote at exit").isGreaterThan(1 << 20);
  }

  @Test
  void runLocalReadsItsEnvFileAndTheShellWinsAsWithCompose(@TempDir Path dir) throws Exception {
    Path envFile = dir.resolve("conveyor.env");
    Files.writeString(
        envFile, "# a comment\nCONVEYOR_HTTP_PORT=from-file\nCONVEYOR_LOG_FORMAT=\"json\"\n");

    ScriptRun fromFile =
        bash(Map.of("CONVEYOR_ENV_FILE", envFile.toString()), "deploy/bin/run-local", "dispatcher");
    assertThat(fromFile.code()).isEqualTo(2);
    assertThat(fromFile.out()).contains("CONVEYOR_HTTP_PORT").contains("'from-file'");
    assertThat(fromFile.out().strip()).as("json log lines").startsWith("{");

    ScriptRun fromShell =
        bash(
            Map.of("CONVEYOR_ENV_FILE", envFile.toString(), "CONVEYOR_HTTP_PORT", "from-shell"),
            "deploy/bin/run-local",
            "dispatcher");
    assertThat(fromShell.code()).isEqualTo(2);
    assertThat(fromShell.out()).contains("'from-shell'").doesNotContain("from-file");
  }
}
