package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramsTest {
  @TempDir Path dir;

  @Test
  void aBareNameFoundOnThePathStaysAsItIs() throws IOException {
    Path bin = Files.createDirectory(dir.resolve("bin"));
    executable(bin.resolve("tool"));

    assertThat(Programs.resolve("tool", dir, "/nonexistent:" + bin)).isEqualTo("tool");
  }

  @Test
  void aBareNameNotOnThePathIsNotFound() {
    assertThatThrownBy(() -> Programs.resolve("pyhton3", dir, dir.toString()))
        .hasMessage("command not found: pyhton3");
    assertThatThrownBy(() -> Programs.resolve("pyhton3", dir, null))
        .hasMessage("command not found: pyhton3");
  }

  @Test
  void aBareNameOnThePathWithoutExecutePermissionIsNamed() throws IOException {
    Path tool = Files.writeString(dir.resolve("tool"), "#!/bin/sh\n");

    assertThatThrownBy(() -> Programs.resolve("tool", dir, dir.toString()))
        .hasMessage("command not executable: " + tool);
  }

  @Test
  void aPathWithASlashIsRelativeToTheDirectoryAndBecomesAbsolute() throws IOException {
    Path steps = Files.createDirectory(dir.resolve("steps"));
    Path run = executable(steps.resolve("run.sh"));

    assertThat(Programs.resolve("steps/run.sh", dir, null)).isEqualTo(run.toString());
    assertThat(Programs.resolve("./steps/run.sh", dir, null)).isEqualTo(run.toString());
    assertThat(Programs.resolve(run.toString(), Path.of("/"), null)).isEqualTo(run.toString());
  }

  @Test
  void aMissingOrNonExecutablePathIsNamed() throws IOException {
    Files.writeString(dir.resolve("plain.sh"), "#!/bin/sh\n");

    assertThatThrownBy(() -> Programs.resolve("steps/nope.sh", dir, null))
        .hasMessageStartingWith("command not found: steps/nope.sh");
    assertThatThrownBy(() -> Programs.resolve("./plain.sh", dir, null))
        .hasMessage("command not executable: " + dir.resolve("plain.sh"));
  }

  private static Path executable(Path file) throws IOException {
    Files.writeString(file, "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
