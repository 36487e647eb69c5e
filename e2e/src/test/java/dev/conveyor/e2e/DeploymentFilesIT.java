package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files, checked without Docker (there may be no engine where the tests run): {@code
 * docker-compose.yml} read as compose reads it (anchors and merge keys resolved), {@code
 * deploy/Dockerfile}, {@code deploy/.env.example}, {@code .dockerignore}, and the images' scripts
 * ({@code deploy/docker/entrypoint}, {@code deploy/docker/conveyor-http}) run with bash.
 *
 * <p>{@code docker-compose config -q} itself runs in {@code .ci/run}, which installs docker-compose
 * when it is missing: this test needs no binary a developer may not have.
 */
class DeploymentFilesIT {
  private static final List<String> DAEMONS = List.of("dispatcher", "processor", "patrol");

  /** Daemon → (module, shaded jar) as the modules' poms build them. */
  private static final Map<String, List<String>> JARS =
      Map.of(
          "dispatcher", List.of("base-dispatcher", "conveyor-dispatcher.jar"),
          "processor", List.of("processor", "conveyor-processor.jar"),
          "patrol", List.of("patrol", "conveyor-patrol.jar"));

  /**
   * Daemon variables compose deliberately does not pass: the entrypoint sets the node id from the
   * container's hostname (one value for all replicas would be wrong), Redis has no password and no
   * cluster in compose, the PostgreSQL password and the admin token come as {@code _FILE}, and a
   * container listens on every interface of its network (the others and the CLI reach it there), so
   * its bind address is not a setting.
   */
  private static final Set<String> NOT_PASSED_BY_COMPOSE =
      Set.of(
          "CONVEYOR_NODE_ID",
          "CONVEYOR_REDIS_CLUSTER",
          "CONVEYOR_REDIS_PASSWORD",
          "CONVEYOR_PG_PASSWORD",
          "CONVEYOR_ADMIN_TOKEN",
          "CONVEYOR_HTTP_BIND");

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

  private static final Pattern STAGE =
      Pattern.compile("(?im)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$");
  private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");

  private static Path root;
  private static JsonNode compose;
  private static String composeText;
  private static String dockerfile;

  @BeforeAll
  static void read() throws IOException {
    root = Repo.root();
    composeText = Files.readString(root.resolve("docker-compose.yml"));
    // why: SnakeYAML resolves anchors and `<<` merge keys as compose does; Jackson's YAML parser
    // does not
    Object loaded;
    try (Reader in = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
      loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
    compose = new ObjectMapper().valueToTree(loaded);
    dockerfile = Files.readString(root.resolve("deploy/Dockerfile"));
  }

  // --- docker-compose.yml -------------------------------------------------------------------

  @Test
  void composeHasRedisPostgresAndTheThreeDaemonsAndNoVersionKey() {
    assertThat(names(compose.path("services")))
        .containsExactlyInAnyOrder("redis", "postgres", "dispatcher", "processor", "patrol");
    // why: `version:` is obsolete in Compose v2 (a warning) and unneeded by docker-compose 1.29
    assertThat(compose.has("version")).as("a version: key").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aDaemonRestartsAlwaysWaitsForHealthyServicesAndStopsGracefully(String daemon) {
    JsonNode s = service(daemon);

    assertThat(s.path("restart").asText()).isEqualTo("always");
    for (String dependency : List.of("redis", "postgres")) {
      assertThat(s.path("depends_on").path(dependency).path("condition").asText())
          .as("%s depends_on %s", daemon, dependency)
          .isEqualTo("service_healthy");
    }
    assertThat(texts(s.path("healthcheck").path("test")))
        .as("healthcheck of %s", daemon)
        .anyMatch(t -> t.contains("/health"));
    // why: SIGTERM lets a daemon finish its batch; a blocking read alone may take 5 s, and
    // compose's default of 10 s before SIGKILL is too tight
    assertThat(seconds(s.path("stop_grace_period").asText()))
        .as("stop_grace_period of %s", daemon)
        .isGreaterThanOrEqualTo(15);
    assertThat(texts(s.path("volumes")))
        .contains(
            "./deploy/pipelines:/etc/conveyor/pipelines:ro", "/etc/localtime:/etc/localtime:ro");
    assertThat(s.path("environment").path("LANG").asText()).isEqualTo("C.UTF-8");
    assertThat(s.path("environment").path("CONVEYOR_PIPELINES").asText())
        .isEqualTo("/etc/conveyor/pipelines");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aDaemonCanBeScaledNoFixedNameNoHostPort(String daemon) {
    JsonNode s = service(daemon);

    // `docker compose up --scale processor=3`: a fixed name or host port would collide
    assertThat(s.has("container_name")).as("%s has container_name", daemon).isFalse();
    assertThat(s.has("hostname")).as("%s has hostname", daemon).isFalse();
    assertThat(s.has("ports")).as("%s publishes ports", daemon).isFalse();
    assertThat(s.path("environment").has("CONVEYOR_NODE_ID"))
        .as("%s gets one CONVEYOR_NODE_ID for all its replicas", daemon)
        .isFalse();
  }

  @Test
  void everyServiceRotatesItsJsonLogs() {
    compose
        .path("services")
        .properties()
        .forEach(e -> {
          JsonNode logging = e.getValue().path("logging");
          assertThat(logging.path("driver").asText()).as(e.getKey()).isEqualTo("json-file");
          assertThat(logging.path("options").has("max-size")).as(e.getKey()).isTrue();
          assertThat(logging.path("options").has("max-file")).as(e.getKey()).isTrue();
          assertThat(e.getValue().has("container_name")).as(e.getKey()).isFalse();
        });
  }

  @Test
  void redisKeepsItsDataAndRefusesToEvict() {
    JsonNode redis = service("redis");

    assertThat(redis.path("restart").asText()).isEqualTo("always");
    String command = String.join(" ", texts(redis.path("command")));
    assertThat(command)
        .contains("--appendonly yes")
        .contains("--appendfsync everysec")
        .contains("--maxmemory-policy noeviction");
    assertThat(String.join(" ", texts(redis.path("healthcheck").path("test"))))
        .contains("redis-cli")
        .contains("ping");
    assertNamedVolumeAt(redis, "/data");
  }

  @Test
  void postgresIsHealthCheckedOverTcpAndKeepsItsData() {
    JsonNode postgres = service("postgres");

    assertThat(postgres.path("restart").asText()).isEqualTo("always");
    assertThat(String.join(" ", texts(postgres.path("healthcheck").path("test"))))
        .contains("pg_isready")
        .contains("-h 127.0.0.1");
    assertNamedVolumeAt(postgres, "/var/lib/postgresql/data");
  }

  @Test
  void noSecretIsWrittenInTheComposeFile() {
    compose
        .path("services")
        .properties()
        .forEach(s ->
            s.getValue()
                .path("environment")
                .properties()
                .forEach(e -> {
                  String key = e.getKey();
                  String value = e.getValue().asText();
                  if (key.matches(".*(PASSWORD|TOKEN|SECRET).*") && !key.endsWith("_FILE")) {
                    assertThat(value)
                        .as("%s of %s: only an empty default", key, s.getKey())
                        .matches("|\\$\\{[A-Z0-9_]+:?-?\\}");
                  }
                }));
    // the database password is generated into the `secrets` volume and read from there
    assertThat(service("postgres").path("environment").has("POSTGRES_PASSWORD")).isFalse();
    String passwordFile =
        service("postgres").path("environment").path("POSTGRES_PASSWORD_FILE").asText();
    for (String daemon : DAEMONS) {
      assertThat(service(daemon).path("environment").path("CONVEYOR_PG_PASSWORD_FILE").asText())
          .isEqualTo(passwordFile);
      assertThat(texts(service(daemon).path("volumes"))).contains("secrets:/run/conveyor:ro");
    }
    assertThat(passwordFile).startsWith("/run/conveyor/");
    assertThat(texts(service("postgres").path("volumes"))).contains("secrets:/run/conveyor");
    assertThat(compose.path("volumes").has("secrets")).isTrue();
  }

  @Test
  void theSecretsAreGeneratedReadableByTheirUsersOnlyAndTheAdminTokenReachesTheDaemons() {
    String keeper = String.join("\n", texts(service("postgres").path("entrypoint")));
    for (String daemon : DAEMONS) {
      JsonNode env = service(daemon).path("environment");
      assertThat(env.path("CONVEYOR_ADMIN_TOKEN_FILE").asText())
          .as("%s reads the admin token from the secrets volume", daemon)
          .isEqualTo("/run/conveyor/admin_token");
      assertThat(env.has("CONVEYOR_ADMIN_TOKEN"))
          .as("%s gets the token itself too (the daemons refuse both)", daemon)
          .isFalse();
    }
    // generated once, or CONVEYOR_ADMIN_TOKEN when set (it reaches the entrypoint that writes it)
    assertThat(service("postgres").path("environment").path("CONVEYOR_ADMIN_TOKEN").asText())
        .isEqualTo("${CONVEYOR_ADMIN_TOKEN:-}");
    assertThat(keeper)
        .contains("umask 077")
        .contains("$$d/pg_password")
        .contains("$$d/admin_token")
        .contains("/dev/urandom")
        // the daemons (uid 10001) own both; PostgreSQL's group reads the password; nobody else
        .contains("chown \"10001:$$(id -g postgres)\" \"$$d/pg_password\"")
        .contains("chmod 0440 \"$$d/pg_password\"")
        .contains("chown 10001:10001 \"$$d/admin_token\"")
        .contains("chmod 0400 \"$$d/admin_token\"")
        .contains("exec docker-entrypoint.sh");
  }

  @Test
  void everyImageFromARegistryComesFromAVariableWithTheOfficialImageAsDefault() throws IOException {
    assertThat(service("redis").path("image").asText())
        .isEqualTo("${REDIS_IMAGE:-" + OFFICIAL_IMAGES.get("REDIS_IMAGE") + "}");
    assertThat(service("postgres").path("image").asText())
        .isEqualTo("${POSTGRES_IMAGE:-" + OFFICIAL_IMAGES.get("POSTGRES_IMAGE") + "}");
    for (String daemon : DAEMONS) {
      JsonNode args = service(daemon).path("build").path("args");
      for (String variable : List.of("JDK_IMAGE", "JRE_IMAGE")) {
        assertThat(args.path(variable).asText())
            .as("build arg %s of %s", variable, daemon)
            .isEqualTo("${" + variable + ":-" + OFFICIAL_IMAGES.get(variable) + "}");
        assertThat(dockerfile).contains("ARG " + variable + "=" + OFFICIAL_IMAGES.get(variable));
      }
      // built here, never pulled: a tag of our own, so that a test run's images are its own
      assertThat(service(daemon).path("image").asText())
          .isEqualTo("conveyor-" + daemon + ":${CONVEYOR_IMAGE_TAG:-latest}");
    }
    // every FROM of the Dockerfile is a variable or one of its own stages
    Set<String> stageNames = stages().keySet();
    Matcher from = STAGE.matcher(dockerfile);
    while (from.find()) {
      assertThat(from.group(1))
          .as("FROM %s", from.group(1))
          .satisfiesAnyOf(
              base -> assertThat(base).matches("\\$\\{[A-Z_]+\\}"),
              base -> assertThat(stageNames).contains(base));
    }
    // and a stand-in for each, built by deploy/bin/build-base-images, which prints the variable
    String builder = Files.readString(root.resolve("deploy/bin/build-base-images"));
    for (String variable : OFFICIAL_IMAGES.keySet()) {
      String name = variable.replace("_IMAGE", "").toLowerCase(java.util.Locale.ROOT);
      assertThat(root.resolve("deploy/base-images/" + name + "/Dockerfile")).exists();
      assertThat(builder).contains(variable + "=$").contains(OFFICIAL_IMAGES.get(variable));
    }
  }

  @Test
  void everyConveyorVariableComposeSetsIsOneTheDaemonsKnow() throws IOException {
    Set<String> known = daemonVariables();
    assertThat(known)
        .as("the scan of the *Config.java sources")
        .contains("CONVEYOR_REDIS_URL", "CONVEYOR_PG_URL", "CONVEYOR_PG_PASSWORD_FILE");

    Set<String> passed = new TreeSet<>();
    for (String daemon : DAEMONS) {
      Set<String> set = new TreeSet<>(names(service(daemon).path("environment")));
      set.removeIf(n -> !n.startsWith("CONVEYOR_"));
      assertThat(known).as("variables the daemons know").containsAll(set);
      passed.addAll(set);
    }
    // and the other way round: a new daemon setting must reach the containers (or be listed)
    Set<String> missing = new TreeSet<>(known);
    missing.removeIf(n -> n.endsWith("_FILE") || NOT_PASSED_BY_COMPOSE.contains(n));
    missing.removeAll(passed);
    assertThat(missing).as("daemon variables docker-compose.yml does not pass").isEmpty();
  }

  @Test
  void envExampleDocumentsEveryVariableAndSetsNone() throws IOException {
    String example = Files.readString(root.resolve("deploy/.env.example"));
    Set<String> variables = new TreeSet<>(daemonVariables());
    Matcher m = SUBSTITUTION.matcher(composeText);
    while (m.find()) {
      variables.add(m.group(1));
    }
    for (String daemon : DAEMONS) {
      names(service(daemon).path("environment")).stream()
          .filter(n -> n.startsWith("CONVEYOR_"))
          .forEach(variables::add);
    }

    assertThat(variables)
        .as("variables without a `NAME=` line in deploy/.env.example")
        .allMatch(v -> Pattern.compile("\\b" + v + "=").matcher(example).find());
    assertThat(example.lines().map(String::strip).filter(l -> !l.isEmpty()))
        .as("lines of the example (all commented: defaults only)")
        .allMatch(l -> l.startsWith("#"));
  }

  // --- deploy/Dockerfile and .dockerignore --------------------------------------------------

  @Test
  void oneDockerfileBuildsEachDaemonFromItsOwnTarget() throws IOException {
    Map<String, String> stages = stages();
    assertThat(stages).containsKeys("build", "runtime", "dispatcher", "processor", "patrol");
    assertThat(dockerfile)
        .contains("ARG JDK_IMAGE=eclipse-temurin:25-jdk")
        .contains("ARG JRE_IMAGE=eclipse-temurin:25-jre");

    for (String daemon : DAEMONS) {
      JsonNode build = service(daemon).path("build");
      assertThat(build.path("context").asText()).isEqualTo(".");
      assertThat(build.path("dockerfile").asText()).isEqualTo("deploy/Dockerfile");
      assertThat(build.path("target").asText()).isEqualTo(daemon);
      assertThat(service(daemon).path("image").asText()).isNotBlank();

      String module = JARS.get(daemon).get(0);
      String jar = JARS.get(daemon).get(1);
      assertThat(stages.get(daemon))
          .as("stage %s", daemon)
          .startsWith("FROM runtime AS " + daemon)
          .contains("COPY --from=build /src/" + module + "/target/" + jar + " /app/conveyor.jar");
      assertThat(Files.readString(root.resolve(module).resolve("pom.xml")))
          .as("%s/pom.xml builds %s", module, jar)
          .contains("${project.build.directory}/" + jar + "</outputFile>");
    }
    // the operator CLI's own jar, with the steps that ship with Conveyor, in every image
    assertThat(stages.get("runtime"))
        .contains("COPY --from=build /src/cli/target/conveyor-cli.jar /app/conveyor-cli.jar");
    assertThat(Files.readString(root.resolve("cli/pom.xml")))
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
    String parent = Files.readString(root.resolve("pom.xml"));
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
    String build = stages().get("build");
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
        Files.readString(root.resolve(".dockerignore"))
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ignored).contains(".git", "**/target");

    Matcher m = Pattern.compile("(?m)^COPY\\s+(?!--from)(.+)$").matcher(dockerfile);
    int copies = 0;
    while (m.find()) {
      List<String> args = List.of(m.group(1).trim().split("\\s+"));
      for (String source : args.subList(0, args.size() - 1)) {
        copies++;
        String path = source.replaceAll("/$", "");
        assertThat(root.resolve(path)).as("COPY source %s", source).exists();
        assertThat(ignored)
            .as("COPY source %s is excluded by .dockerignore", source)
            .noneMatch(i -> path.equals(i) || path.startsWith(i + "/"));
      }
    }
    assertThat(copies).isGreaterThan(10);
  }

  // --- the images' scripts ------------------------------------------------------------------

  @Test
  void conveyorHttpPassesOnTwoHundredAndFailsOtherwise() throws Exception {
    AtomicInteger status = new AtomicInteger(200);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              ("{\"path\":\"" + exchange.getRequestURI().getPath() + "\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.get(), body.length);
          try (var out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    String port = Integer.toString(server.getAddress().getPort());
    try {
      Result up =
          bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http", "/health");
      assertThat(up.code()).isZero();
      assertThat(up.out()).contains("200").contains("{\"path\":\"/health\"}");

      Result other =
          bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http", "/status");
      assertThat(other.code()).isZero();
      assertThat(other.out()).contains("{\"path\":\"/status\"}");

      status.set(503);
      Result down = bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http");
      assertThat(down.code()).isEqualTo(1);
      assertThat(down.out()).contains("503");
    } finally {
      server.stop(0);
    }
    Result nobody = bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http");
    assertThat(nobody.code()).isEqualTo(1);
    assertThat(nobody.out()).contains("nothing listens");
  }

  @Test
  void theEntrypointNamesTheNodeAfterTheHostnameAndStartsTheJar(@TempDir Path dir)
      throws Exception {
    Path fakeJava = dir.resolve("java");
    Files.writeString(
        fakeJava, "#!/bin/sh\necho \"node=$CONVEYOR_NODE_ID\"\nprintf '%s\\n' \"$@\"\n");
    assertThat(fakeJava.toFile().setExecutable(true)).isTrue();
    String path = dir + ":/usr/bin:/bin";

    Result started =
        bash(
            Map.of("PATH", path, "HOSTNAME", "4f2a9c1b7d3e", "JAVA_OPTS", "-Xmx64m -Dx=y"),
            "deploy/docker/entrypoint");
    assertThat(started.code()).isZero();
    assertThat(started.out().lines().toList())
        .containsExactly(
            "node=4f2a9c1b7d3e",
            "-XX:MaxRAMPercentage=75",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "-Xmx64m",
            "-Dx=y",
            "-jar",
            "/app/conveyor.jar");

    Result named =
        bash(
            Map.of("PATH", path, "HOSTNAME", "h", "CONVEYOR_NODE_ID", "mine"),
            "deploy/docker/entrypoint",
            "--flag");
    assertThat(named.out().lines().toList()).startsWith("node=mine").endsWith("--flag");

    Result command =
        bash(Map.of("PATH", path, "HOSTNAME", "h"), "deploy/docker/entrypoint", "echo", "hi");
    assertThat(command.out().strip()).isEqualTo("hi");
  }

  @Test
  void runLocalGivesTheJvmTheImagesFlags() throws IOException {
    String entrypoint = Files.readString(root.resolve("deploy/docker/entrypoint"));
    String runLocal = Files.readString(root.resolve("deploy/bin/run-local"));
    Matcher m = Pattern.compile("(?m)^\\s+(-(?:XX:|D)\\S+)\\s*\\\\?$").matcher(entrypoint);
    List<String> flags = new ArrayList<>();
    while (m.find()) {
      flags.add(m.group(1));
    }
    assertThat(flags).contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");
    // a laptop has no container limit to take 75% of; everything else is the same
    flags.remove("-XX:MaxRAMPercentage=75");
    assertThat(flags).allSatisfy(f -> assertThat(runLocal).contains(f));
  }

  @Test
  void runLocalReadsItsEnvFileAndTheShellWinsAsWithCompose(@TempDir Path dir) throws Exception {
    Path envFile = dir.resolve("conveyor.env");
    Files.writeString(
        envFile, "# a comment\nCONVEYOR_HTTP_PORT=from-file\nCONVEYOR_LOG_FORMAT=\"json\"\n");

    Result fromFile =
        bash(Map.of("CONVEYOR_ENV_FILE", envFile.toString()), "deploy/bin/run-local", "dispatcher");
    assertThat(fromFile.code()).isEqualTo(2);
    assertThat(fromFile.out()).contains("CONVEYOR_HTTP_PORT").contains("'from-file'");
    assertThat(fromFile.out().strip()).as("json log lines").startsWith("{");

    Result fromShell =
        bash(
            Map.of("CONVEYOR_ENV_FILE", envFile.toString(), "CONVEYOR_HTTP_PORT", "from-shell"),
            "deploy/bin/run-local",
            "dispatcher");
    assertThat(fromShell.code()).isEqualTo(2);
    assertThat(fromShell.out()).contains("'from-shell'").doesNotContain("from-file");
  }

  // --- helpers ------------------------------------------------------------------------------

  private static JsonNode service(String name) {
    JsonNode s = compose.path("services").path(name);
    assertThat(s.isObject()).as("service %s", name).isTrue();
    return s;
  }

  private static void assertNamedVolumeAt(JsonNode service, String target) {
    String mount =
        texts(service.path("volumes")).stream()
            .filter(v -> v.split(":").length >= 2 && v.split(":")[1].equals(target))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume at " + target));
    assertThat(compose.path("volumes").has(mount.split(":")[0]))
        .as("%s is a named volume", mount)
        .isTrue();
  }

  private static List<String> names(JsonNode object) {
    return object.properties().stream().map(Map.Entry::getKey).toList();
  }

  private static List<String> texts(JsonNode node) {
    if (node.isArray()) {
      List<String> texts = new ArrayList<>();
      node.forEach(n -> texts.add(n.asText()));
      return texts;
    }
    return node.isMissingNode() || node.isNull() ? List.of() : List.of(node.asText());
  }

  /** A compose duration (30s, 1m30s, 1h) in seconds. */
  private static long seconds(String duration) {
    Matcher m = Pattern.compile("(\\d+)(h|m|s)").matcher(duration);
    Duration d = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
              });
      end = m.end();
    }
    assertThat(end).as("a duration: '%s'", duration).isEqualTo(duration.length()).isPositive();
    return d.toSeconds();
  }

  /** The Dockerfile's stages by name (or base image when unnamed), without their comment lines. */
  private static Map<String, String> stages() {
    Matcher m = STAGE.matcher(dockerfile);
    List<Integer> starts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    while (m.find()) {
      starts.add(m.start());
      names.add(m.group(2) != null ? m.group(2) : m.group(1));
    }
    Map<String, String> stages = new LinkedHashMap<>();
    for (int i = 0; i < starts.size(); i++) {
      int end = i + 1 < starts.size() ? starts.get(i + 1) : dockerfile.length();
      // why: without comments, which talk about other stages too
      stages.put(
          names.get(i), dockerfile.substring(starts.get(i), end).replaceAll("(?m)^#.*\n", ""));
    }
    return stages;
  }

  /**
   * The CONVEYOR_* variables the daemons read: the string literals in the main sources' {@code
   * *Config.java} files, plus {@code NAME_FILE} for each read as a secret ({@code
   * env.secret("NAME")}).
   */
  private static Set<String> daemonVariables() throws IOException {
    Pattern literal = Pattern.compile("\"(CONVEYOR_[A-Z0-9_]+)\"");
    Pattern secret = Pattern.compile("secret\\(\\s*\"(CONVEYOR_[A-Z0-9_]+)\"");
    Set<String> names = new TreeSet<>();
    List<Path> sources;
    try (Stream<Path> files = Files.walk(root)) {
      sources =
          files
              .filter(p -> p.getFileName().toString().endsWith("Config.java"))
              .filter(p -> root.relativize(p).toString().matches("[^/]+/src/main/java/.*"))
              .toList();
    }
    assertThat(sources).as("*Config.java under */src/main/java").isNotEmpty();
    for (Path source : sources) {
      String text = Files.readString(source);
      Matcher m = literal.matcher(text);
      while (m.find()) {
        names.add(m.group(1));
      }
      m = secret.matcher(text);
      while (m.find()) {
        names.add(m.group(1) + "_FILE");
      }
    }
    return names;
  }

  private record Result(int code, String out) {}

  private static Result bash(Map<String, String> env, String script, String... args)
      throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", root.resolve(script).toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("CONVEYOR_") || k.equals("JAVA_OPTS"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("%s finished", script).isTrue();
    return new Result(p.exitValue(), out);
  }
}
