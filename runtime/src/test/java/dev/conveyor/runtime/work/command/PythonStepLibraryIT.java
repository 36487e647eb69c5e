package dev.conveyor.runtime.work.command;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Python step library's own tests ({@code runtime/src/test/python}, on {@code
 * deploy/pipelines/steps/conveyor_step.py}) with {@code python3 -m unittest}: they fail the build
 * when they fail, and python3 missing fails it too (as for every command step test), never skips.
 */
class PythonStepLibraryIT {
  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @Test
  void thePythonStepLibraryPassesItsOwnTests(@TempDir Path tmp) throws Exception {
    // why: tests run in the runtime module's directory
    Path tests = Path.of("src", "test", "python").toAbsolutePath();
    Path library = Path.of("..", "deploy", "pipelines", "steps").toAbsolutePath().normalize();
    Path output = tmp.resolve("unittest.txt");
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    "python3",
                    "-B",
                    "-W",
                    "error::ResourceWarning",
                    "-m",
                    "unittest",
                    "discover",
                    "-v",
                    "-s",
                    tests.toString()))
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().put("PYTHONPATH", library.toString());
    builder.environment().keySet().removeIf(name -> name.startsWith("CONVEYOR_"));
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    String report = Files.readString(output, UTF_8);
    assertThat(process.isAlive()).as("python3 -m unittest still running after 120 s").isFalse();
    assertThat(process.exitValue()).as("python3 -m unittest failed:%n%s", report).isZero();
    assertThat(report).as("the report names the tests it ran").contains("Ran ").contains("OK");
  }
}
