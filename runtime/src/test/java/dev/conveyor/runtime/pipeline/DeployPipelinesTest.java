package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The example pipelines shipped in {@code deploy/pipelines} load as they are. */
class DeployPipelinesTest {

  static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new AssertionError("no directory with mvnw above " + Path.of("").toAbsolutePath());
  }

  @Test
  void theShippedPipelinesLoadWithoutError() {
    Pipelines pipelines =
        PipelineLoader.loadDirectory(repositoryRoot().resolve("deploy/pipelines"));

    assertThat(pipelines.names()).contains("echo");
  }

  @Test
  void echoIsOneSinkStepIntoEchoRows() {
    Pipeline echo = PipelineLoader.loadFile(repositoryRoot().resolve("deploy/pipelines/echo.yaml"));

    assertThat(echo.version()).isEqualTo(1);
    assertThat(echo.split()).isEqualTo(SplitRule.NONE);
    assertThat(echo.steps()).hasSize(1);
    StepDef deliver = echo.steps().getFirst();
    assertThat(deliver.name()).isEqualTo("deliver");
    assertThat(deliver.kind()).isEqualTo(StepKind.SINK);
    assertThat(deliver.offset()).isEqualTo(Duration.ofMillis(200));
    assertThat(deliver.batch()).isEqualTo(500);
    assertThat(deliver.sink().qualifiedName()).isEqualTo("conveyor.echo_rows");
    assertThat(deliver.sink().key()).isEqualTo(List.of("task_id", "part"));
  }
}
