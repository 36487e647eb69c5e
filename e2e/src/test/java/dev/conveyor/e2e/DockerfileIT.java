package dev.conveyor.e2e;

import static dev.conveyor.e2e.DeployFiles.DAEMONS;
import static dev.conveyor.e2e.DeployFiles.STAGE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/Dockerfile} and {@code .dockerignore}, read without Docker: one target per daemon,
 * a build stage that sees every module, base images from variables with the official ones as
 * defaults (and a stand-in for each), and nothing copied that the build context leaves out.
 */
class DockerfileIT {
  /** Daemon → (module, shaded jar) as the modules' poms build them. */
  private static final Map<String, List<String>> JARS =
      Map.of(
          "dispatcher", List.of("base-dispatcher", "conveyor-dispatcher.jar"),
          "processor", List.of("processor", "conveyor-processor.jar"),
          "patrol", List.of("patrol", "conveyor-patrol.jar"));

  /**
   * Variable → official image, for every image compose or the Dockerfile takes from a registry;
   * deploy/base-images/NAME holds the stand-in that deploy/bin/build-base-images builds for it.
   */
  private static final Map<String, String> OFFICIAL_IMAGES =
      Map.of(
          "REDIS_IMAGE", "redis:7",
          "POSTGRES_IMAGE", "postgres:16",
          "JDK_IMAGE", "eclipse-temurin:25-jdk",
          "JRE_IMAGE", "eclipse-temurin:25-jre");

  private static DeployFiles files;

  @BeforeAll
  static void read() throws IOException {
    files = DeployFiles.read();
  }

  @Test
  void oneDockerfileBuildsEachDaemonFromItsOwnTarget() throws IOException {
    Map<String, String> stages = files.stages();
    assertThat(stages).containsKeys("build", "runtime", "dispatcher", "processor", "patrol");
    assertThat(files.dockerfile())
        .contains("ARG JDK_IMAGE=eclipse-temurin:25-jdk")
        .contains("ARG JRE_IMAGE=eclipse-temurin:25-jre");

    for (String daemon : DAEMONS) {
      JsonNode build = files.service(daemon).path("build");
      assertThat(build.path("context").asText()).isEqualTo(".");
      assertThat(build.path("dockerfile").asText()).isEqualTo("deploy/Dockerfile");
      assertThat(build.path("target").asText()).isEqualTo(daemon);
      assertThat(files.service(daemon).path("image").asText()).isNotBlank();

      String module = JARS.get(daemon).get(0);
      String jar = JARS.get(daemon).get(1);
      assertThat(stages.get(daemon))
          .as("stage %s", daemon)
          .startsWith("FROM runtime AS " + daemon)
          .contains("COPY --from=build /src/" + module + "/target/" + jar + " /app/conveyor.jar");
      assertThat(Files.readString(files.root().resolve(module).resolve("pom.xml")))
          .as("%s/pom.xml builds %s", module, jar)
          .contains("${project.build.directory}/" + jar + "</outputFile>");
    }
    // the operator CLI's own jar, with the steps that ship with Conveyor, in every image
    assertThat(stages.get("runtime"))
        .contains("COPY --from=build /src/cli/target/conveyor-cli.jar /app/conveyor-cli.jar");
    assertThat(Files.readString(files.root().resolve("cli/pom.xml")))
        .contains("${project.build.directory}/conveyor-cli.jar</outputFile>");
    // python3 for command steps in the processor only; nothing installed elsewhere
    assertThat(stages.get("processor"))
        .contains("apt-get install -y --no-install-recommends python3")
        .contains("rm -rf /var/lib/apt/lists/*");
    assertThat(stages.get("runtime") + stages.get("dispatcher") + stages.get("patrol"))
        .doesNotContain("apt-get");
    // the Maven Wrapper needs unzip (else it checks a .tar.gz against the .zip's checksum)
    assertThat(stages.get("build"))
        .startsWith("FROM ${JDK_IMAGE} AS build")
        .contains("--no-install-recommends unzip")
        .contains("maven-dependency-plugin:3.9.0:go-offline")
        // offline after the dependency layer: a change of code needs no network
        .contains("mvnw -B -q -o package -DskipTests");
    assertThat(stages.get("runtime"))
        .contains("USER 10001:10001")
        .contains("/app/bin/conveyor-http")
        .contains("HEALTHCHECK")
        .contains("ENTRYPOINT [\"/app/bin/entrypoint\"]");
  }

  @Test
  void theBuildStageSeesEveryModuleOfTheReactor() throws IOException {
    String parent = Files.readString(files.root().resolve("pom.xml"));
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
    String build = files.stages().get("build");
    List<String> modules = new ArrayList<>();
    while (m.find()) {
      modules.add(m.group(1));
    }
    assertThat(modules).isNotEmpty();
    for (String module : modules) {
      // why: without its pom the reactor in the build stage does not even start
      assertThat(build).contains("COPY " + module + "/pom.xml " + module + "/");
      if (!module.equals("e2e")) {
        assertThat(build).contains("COPY " + module + "/src/ " + module + "/src/");
      }
    }
  }

  @Test
  void everythingTheDockerfileCopiesExistsAndIsNotIgnored() throws IOException {
    List<String> ignored =
        Files.readString(files.root().resolve(".dockerignore"))
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ignored).contains(".git", "**/target");

    Matcher m = Pattern.compile("(?m)^COPY\\s+(?!--from)(.+)$").matcher(files.dockerfile());
    int copies = 0;
    while (m.find()) {
      List<String> args = List.of(m.group(1).trim().split("\\s+"));
      for (String source : args.subList(0, args.size() - 1)) {
        copies++;
        String path = source.replaceAll("/$", "");
        assertThat(files.root().resolve(path)).as("COPY source %s", source).exists();
        assertThat(ignored)
            .as("COPY source %s is excluded by .dockerignore", source)
            .noneMatch(i -> path.equals(i) || path.startsWith(i + "/"));
      }
    }
    assertThat(copies).isGreaterThan(10);
  }

  @Test
  void everyImageFromARegistryComesFromAVariableWithTheOfficialImageAsDefault() throws IOException {
    assertThat(files.service("redis").path("image").asText())
        .isEqualTo("${REDIS_IMAGE:-" + OFFICIAL_IMAGES.get("REDIS_IMAGE") + "}");
    assertThat(files.service("postgres").path("image").asText())
        .isEqualTo("${POSTGRES_IMAGE:-" + OFFICIAL_IMAGES.get("POSTGRES_IMAGE") + "}");
    for (String daemon : DAEMONS) {
      JsonNode args = files.service(daemon).path("build").path("args");
      for (String variable : List.of("JDK_IMAGE", "JRE_IMAGE")) {
        assertThat(args.path(variable).asText())
            .as("build arg %s of %s", variable, daemon)
            .isEqualTo("${" + variable + ":-" + OFFICIAL_IMAGES.get(variable) + "}");
        assertThat(files.dockerfile())
            .contains("ARG " + variable + "=" + OFFICIAL_IMAGES.get(variable));
      }
      // built here, never pulled: a tag of our own, so that a test run's images are its own
      assertThat(files.service(daemon).path("image").asText())
          .isEqualTo("conveyor-" + daemon + ":${CONVEYOR_IMAGE_TAG:-latest}");
    }
    // every FROM of the Dockerfile is a variable or one of its own stages
    Set<String> stageNames = files.stages().keySet();
    Matcher from = STAGE.matcher(files.dockerfile());
    while (from.find()) {
      assertThat(from.group(1))
          .as("FROM %s", from.group(1))
          .satisfiesAnyOf(
              base -> assertThat(base).matches("\\$\\{[A-Z_]+\\}"),
              base -> assertThat(stageNames).contains(base));
    }
    // and a stand-in for each, built by deploy/bin/build-base-images, which prints the variable
    String builder = Files.readString(files.root().resolve("deploy/bin/build-base-images"));
    for (String variable : OFFICIAL_IMAGES.keySet()) {
      String name = variable.replace("_IMAGE", "").toLowerCase(java.util.Locale.ROOT);
      assertThat(files.root().resolve("deploy/base-images/" + name + "/Dockerfile")).exists();
      assertThat(builder).contains(variable + "=$").contains(OFFICIAL_IMAGES.get(variable));
    }
  }
}
