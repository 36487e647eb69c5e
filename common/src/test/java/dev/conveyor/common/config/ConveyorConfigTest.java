package dev.conveyor.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConveyorConfigTest {

  @Test
  void emptyEnvironmentGivesTheDocumentedDefaults() {
    ConveyorConfig c = ConveyorConfig.from(Env.of(Map.of("HOSTNAME", "box")));

    assertThat(c.redis().url()).hasToString("redis://localhost:6379");
    assertThat(c.redis().cluster()).isFalse();
    assertThat(c.redis().inboxUrl()).isEmpty();
    assertThat(c.redis().socketTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.redis().block()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.pg().url()).isEqualTo("jdbc:postgresql://localhost:5432/conveyor");
    assertThat(c.pg().user()).isEqualTo("conveyor");
    assertThat(c.pg().password()).isEmpty();
    assertThat(c.namespace()).isEqualTo("conveyor");
    assertThat(c.pipelines()).isEqualTo(Path.of("/etc/conveyor/pipelines"));
    assertThat(c.nodeId()).isEqualTo("box-" + ProcessHandle.current().pid());
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.httpHost()).isEqualTo("box");
    assertThat(c.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(c.maxMessageBytes()).isEqualTo(1_048_576);
    assertThat(c.adminToken()).isEmpty();
    assertThat(c.httpBind()).isEqualTo("0.0.0.0");
  }

  @Test
  void theHttpBindAddressIsReadAndChecked() {
    assertThat(
            ConveyorConfig.from(
                    Env.of(Map.of("HOSTNAME", "box", "CONVEYOR_HTTP_BIND", "127.0.0.1")))
                .httpBind())
        .isEqualTo("127.0.0.1");
    assertThatThrownBy(() ->
            ConveyorConfig.from(
                Env.of(Map.of("HOSTNAME", "box", "CONVEYOR_HTTP_BIND", "every where"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("CONVEYOR_HTTP_BIND must be an IP address or a host name");
  }

  @Test
  void everyVariableIsRead() {
    ConveyorConfig c =
        ConveyorConfig.from(
            Env.of(
                Map.ofEntries(
                    Map.entry("CONVEYOR_REDIS_URL", "rediss://app:pw@redis.internal:6380/2"),
                    Map.entry("CONVEYOR_REDIS_CLUSTER", "r1:7000, r2:7001"),
                    Map.entry("CONVEYOR_REDIS_PASSWORD", "s3cret"),
                    Map.entry("CONVEYOR_PG_URL", "jdbc:postgresql://pg:5432/app"),
                    Map.entry("CONVEYOR_PG_USER", "app"),
                    Map.entry("CONVEYOR_PG_PASSWORD", "pgpw"),
                    Map.entry("CONVEYOR_NAMESPACE", "prod.eu-1"),
                    Map.entry("CONVEYOR_PIPELINES", "/srv/pipelines"),
                    Map.entry("CONVEYOR_NODE_ID", "processor-2"),
                    Map.entry("CONVEYOR_HTTP_PORT", "0"),
                    Map.entry("CONVEYOR_LOG_FORMAT", "JSON"),
                    Map.entry("CONVEYOR_INBOX_URL", "redis://queue:6379"),
                    Map.entry("CONVEYOR_MAX_MESSAGE_BYTES", "4096"),
                    Map.entry("CONVEYOR_ADMIN_TOKEN", "tok"))));

    assertThat(c.redis().clusterNodes())
        .containsExactly(
            new RedisConfig.HostPort("r1", 7000), new RedisConfig.HostPort("r2", 7001));
    assertThat(c.redis().password()).contains(Secret.of("s3cret"));
    assertThat(c.redis().inboxUrl()).map(Object::toString).contains("redis://queue:6379");
    assertThat(c.pg().password()).contains(Secret.of("pgpw"));
    assertThat(c.namespace()).isEqualTo("prod.eu-1");
    assertThat(c.pipelines()).isEqualTo(Path.of("/srv/pipelines"));
    assertThat(c.nodeId()).isEqualTo("processor-2");
    assertThat(c.httpPort()).isZero();
    assertThat(c.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(c.maxMessageBytes()).isEqualTo(4096);
    assertThat(c.adminToken()).contains(Secret.of("tok"));
  }

  @Test
  void secretsComeFromFilesWithTheTrailingNewlineDropped(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pg");
    Files.writeString(file, "from-file\n");

    ConveyorConfig c =
        ConveyorConfig.from(Env.of(Map.of("CONVEYOR_PG_PASSWORD_FILE", file.toString())));

    assertThat(c.pg().password()).contains(Secret.of("from-file"));
  }

  @Test
  void postgresTimeoutsHaveDefaultsAndAreChecked() {
    PgConfig defaults = ConveyorConfig.from(Env.of(Map.of("HOSTNAME", "box"))).pg();
    assertThat(defaults.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.statementTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.lockTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.socketTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(defaults.idleInTransactionTimeout()).isEqualTo(Duration.ofMinutes(1));

    PgConfig set =
        ConveyorConfig.from(
                Env.of(
                    Map.of(
                        "CONVEYOR_PG_CONNECT_TIMEOUT",
                        "2s",
                        "CONVEYOR_PG_STATEMENT_TIMEOUT",
                        "2m",
                        "CONVEYOR_PG_LOCK_TIMEOUT",
                        "500ms")))
            .pg();
    assertThat(set.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(set.statementTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(set.lockTimeout()).isEqualTo(Duration.ofMillis(500));

    assertThatThrownBy(() ->
            ConveyorConfig.from(
                Env.of(
                    Map.of(
                        "CONVEYOR_PG_STATEMENT_TIMEOUT", "5s", "CONVEYOR_PG_LOCK_TIMEOUT", "10s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONVEYOR_PG_LOCK_TIMEOUT must be between 100ms and");
    assertThatThrownBy(
            () -> ConveyorConfig.from(Env.of(Map.of("CONVEYOR_PG_CONNECT_TIMEOUT", "200ms"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONVEYOR_PG_CONNECT_TIMEOUT");
  }

  @Test
  void aSecretSetTwiceIsRefused(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pg");
    Files.writeString(file, "x");

    assertThatThrownBy(() ->
            ConveyorConfig.from(
                Env.of(
                    Map.of(
                        "CONVEYOR_PG_PASSWORD",
                        "y",
                        "CONVEYOR_PG_PASSWORD_FILE",
                        file.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("set CONVEYOR_PG_PASSWORD or CONVEYOR_PG_PASSWORD_FILE, not both");
  }

  @Test
  void anUnreadableSecretFileNamesTheVariableAndTheFile() {
    assertThatThrownBy(() ->
            ConveyorConfig.from(Env.of(Map.of("CONVEYOR_ADMIN_TOKEN_FILE", "/nonexistent/token"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "CONVEYOR_ADMIN_TOKEN_FILE names a file that cannot be read: /nonexistent/token");
  }

  @Test
  void wrongValuesAreOneLineNamingTheVariableAndWhatWasExpected() {
    assertRefused(
        "CONVEYOR_HTTP_PORT",
        "eighty",
        "CONVEYOR_HTTP_PORT must be an integer from 0 to 65535, was 'eighty'");
    assertRefused(
        "CONVEYOR_HTTP_PORT",
        "70000",
        "CONVEYOR_HTTP_PORT must be an integer from 0 to 65535, was '70000'");
    assertRefused(
        "CONVEYOR_LOG_FORMAT", "xml", "CONVEYOR_LOG_FORMAT must be text or json, was 'xml'");
    assertRefused(
        "CONVEYOR_REDIS_URL",
        "http://redis:6379",
        "CONVEYOR_REDIS_URL must start with redis:// or rediss:// (TLS), was 'http://redis:6379'");
    assertRefused(
        "CONVEYOR_REDIS_CLUSTER",
        "r1,r2",
        "CONVEYOR_REDIS_CLUSTER must be a list host:port,host:port, was 'r1,r2'");
    assertRefused(
        "CONVEYOR_PG_URL",
        "postgres://pg/db",
        "CONVEYOR_PG_URL must start with jdbc:postgresql://, was 'postgres://pg/db'");
    assertRefused(
        "CONVEYOR_NAMESPACE",
        "a{b}",
        "CONVEYOR_NAMESPACE must be 1-64 characters of A-Z a-z 0-9 _ . -, was 'a{b}'");
    assertRefused(
        "CONVEYOR_NODE_ID",
        "node 1",
        "CONVEYOR_NODE_ID must be 1-128 characters of A-Z a-z 0-9 _ . -, was 'node 1'");
    assertRefused(
        "CONVEYOR_MAX_MESSAGE_BYTES",
        "0",
        "CONVEYOR_MAX_MESSAGE_BYTES must be an integer from 1 to 2147483647, was '0'");
    assertRefused(
        "CONVEYOR_REDIS_TIMEOUT",
        "soon",
        "CONVEYOR_REDIS_TIMEOUT must be a duration like 500ms, 5s, 2m, 1h or PT30S, was 'soon'");
  }

  @Test
  void blockMustStayWellUnderTheSocketTimeout() {
    assertThatThrownBy(() ->
            ConveyorConfig.from(
                Env.of(Map.of("CONVEYOR_REDIS_TIMEOUT", "4s", "CONVEYOR_REDIS_BLOCK", "3s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "CONVEYOR_REDIS_BLOCK must be at most half of CONVEYOR_REDIS_TIMEOUT");
    RedisConfig ok =
        ConveyorConfig.from(
                Env.of(Map.of("CONVEYOR_REDIS_TIMEOUT", "4s", "CONVEYOR_REDIS_BLOCK", "2s")))
            .redis();
    assertThat(ok.block()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theDescriptionMasksEverySecret() {
    ConveyorConfig c =
        ConveyorConfig.from(
            Env.of(
                Map.of(
                    "CONVEYOR_REDIS_URL", "redis://app:hunter2@redis:6379",
                    "CONVEYOR_PG_URL", "jdbc:postgresql://pg/db?user=u&password=pw123",
                    "CONVEYOR_PG_PASSWORD", "pgpw",
                    "CONVEYOR_ADMIN_TOKEN", "tok")));

    String described = c.describe().toString() + c;

    assertThat(described).doesNotContain("hunter2", "pw123", "pgpw", "tok,", "tok}");
    assertThat(c.describe())
        .containsEntry("redis_url", "redis://app:****@redis:6379")
        .containsEntry("pg_url", "jdbc:postgresql://pg/db?user=u&password=****")
        .containsEntry("pg_password", "****")
        .containsEntry("admin_token", "****");
  }

  private static void assertRefused(String variable, String value, String message) {
    assertThatThrownBy(() -> ConveyorConfig.from(Env.of(Map.of(variable, value))))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void theHttpHostIsReadAndChecked() {
    assertThat(ConveyorConfig.from(Env.of(Map.of("CONVEYOR_HTTP_HOST", "10.0.0.7"))).httpHost())
        .isEqualTo("10.0.0.7");
    assertThat(ConveyorConfig.from(Env.of(Map.of("CONVEYOR_HTTP_HOST", "::1"))).httpHost())
        .isEqualTo("::1");
    assertThatThrownBy(() -> ConveyorConfig.from(Env.of(Map.of("CONVEYOR_HTTP_HOST", "a b"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("CONVEYOR_HTTP_HOST must be a host name or an IP address, was 'a b'");
  }
}
