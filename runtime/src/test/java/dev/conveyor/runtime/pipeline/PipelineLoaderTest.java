package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineLoaderTest {
  @TempDir Path dir;

  static String pipeline(String name) {
    return "pipeline: " + name + "\nversion: 1\nsteps:\n  - {name: a, kind: java, class: x.A}\n";
  }

  Path write(String fileName, String text) throws IOException {
    Path file = dir.resolve(fileName);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }

  static String failureOf(Runnable load) {
    return catchThrowableOfType(PipelineException.class, load::run).getMessage();
  }

  @Test
  void aFileKeepsItsAbsolutePathAndResolvesResourcesAgainstItsDirectory() throws IOException {
    Path file =
        write(
            "sub/ner.yaml",
            """
            pipeline: ner
            version: 2
            resources: {names: ../shared/names.txt}
            steps:
              - {name: a, kind: java, class: x.A, resources: names}
            """);

    Pipeline p = PipelineLoader.loadFile(file);

    assertThat(p.source()).isEqualTo(file.toAbsolutePath().normalize());
    assertThat(p.resources().get("names"))
        .isEqualTo(dir.resolve("shared/names.txt").toAbsolutePath().normalize());
  }

  @Test
  void aBadFileIsNamedByItsFileName() throws IOException {
    Path file = write("ner.yaml", "pipeline: ner\nversion: 1\nsteps: []\n");

    assertThat(failureOf(() -> PipelineLoader.loadFile(file)))
        .isEqualTo("ner.yaml: 'steps' must not be empty");
  }

  @Test
  void aMissingFileIsNamed() {
    assertThat(failureOf(() -> PipelineLoader.loadFile(dir.resolve("gone.yaml"))))
        .startsWith("gone.yaml: cannot read ")
        .contains("NoSuchFileException");
  }

  @Test
  void aFileThatIsNotUtf8IsNamed() throws IOException {
    Path file = Files.write(dir.resolve("bin.yaml"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});

    assertThat(failureOf(() -> PipelineLoader.loadFile(file)))
        .startsWith("bin.yaml: cannot read ")
        .endsWith("not UTF-8 text");
  }

  @Test
  void aDirectoryLoadsYamlAndYmlFilesInFileNameOrder() throws IOException {
    write("b.yml", pipeline("second"));
    write("a.yaml", pipeline("first"));
    write("c.YAML", pipeline("third"));
    write("README.md", "not a pipeline");
    write("ner.yaml.bak", "not: a pipeline");
    write(".hidden.yaml", "not: a pipeline");
    write("nested/d.yaml", "not: loaded");

    Pipelines pipelines = PipelineLoader.loadDirectory(dir);

    assertThat(pipelines.names()).containsExactly("first", "second", "third");
    assertThat(pipelines.all()).hasSize(3);
    assertThat(pipelines.size()).isEqualTo(3);
    assertThat(pipelines.isEmpty()).isFalse();
    assertThat(pipelines.get("second").orElseThrow().source().getFileName())
        .isEqualTo(Path.of("b.yml"));
    assertThat(pipelines.get("nope")).isEmpty();
  }

  @Test
  void oneBadFileFailsTheWholeDirectoryNamingThatFile() throws IOException {
    write("a.yaml", pipeline("first"));
    write("b.yaml", "pipeline: second\nversion: 1\nstepz: []\n");
    write("c.yaml", pipeline("third"));

    String message = failureOf(() -> PipelineLoader.loadDirectory(dir));

    assertThat(message)
        .startsWith("b.yaml: unknown key 'stepz'")
        .contains("b.yaml: missing required key 'steps'")
        .doesNotContain("a.yaml")
        .doesNotContain("c.yaml");
  }

  @Test
  void everyBadFileIsReported() throws IOException {
    write("a.yaml", "pipeline: first\n");
    write("b.yaml", pipeline("second"));
    write("c.yaml", "{{{");

    assertThat(
            catchThrowableOfType(PipelineException.class, () -> PipelineLoader.loadDirectory(dir))
                .problems())
        .hasSize(3)
        .allSatisfy(line -> assertThat(line).matches("(a|c)\\.yaml: .*"));
  }

  @Test
  void twoFilesDeclaringOnePipelineAreBothNamed() throws IOException {
    write("ner.yaml", pipeline("ner"));
    write("ner-copy.yml", pipeline("ner"));

    assertThat(failureOf(() -> PipelineLoader.loadDirectory(dir)))
        .isEqualTo("ner.yaml: pipeline 'ner' is already declared in ner-copy.yml");
  }

  @Test
  void aMissingDirectoryIsNamed() {
    Path missing = dir.resolve("nope");

    assertThat(failureOf(() -> PipelineLoader.loadDirectory(missing)))
        .isEqualTo("pipeline directory " + missing.toAbsolutePath() + " does not exist");
  }

  @Test
  void aFileInsteadOfADirectoryIsNamed() throws IOException {
    Path file = write("ner.yaml", pipeline("ner"));

    assertThat(failureOf(() -> PipelineLoader.loadDirectory(file)))
        .isEqualTo("pipeline directory " + file.toAbsolutePath() + " is not a directory");
  }

  @Test
  void anEmptyDirectoryGivesNoPipelines() {
    Pipelines pipelines = PipelineLoader.loadDirectory(dir);

    assertThat(pipelines.isEmpty()).isTrue();
    assertThat(pipelines.all()).isEmpty();
    assertThat(pipelines.names()).isEmpty();
  }
}
