package dev.conveyor.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link UnstorableContent} calls storable is what the real PostgreSQL stores, at the edges of
 * numeric's range and for every kind of character; and whatever {@link StoredJson} makes of a text
 * is taken by a jsonb column.
 */
@WithServices
class StorableInPostgresIT {

  @Test
  void theNumberRuleAgreesWithPostgresAtEveryEdge(TestServices services) throws Exception {
    List<String> numbers =
        List.of(
            "1e131071",
            "9.99e131071",
            "-1e131071",
            "1000e131068",
            "1e131072",
            "1000e131069",
            "0.000001e131077",
            "1e-16383",
            "1.5e-16382",
            "123.456e-16380",
            "1e-16384",
            "10e-16384",
            "1.0e-16383",
            "0e-16383",
            "0e-16384",
            "0.00e-16382",
            "0e999999",
            "0.0e131073",
            "1e400",
            "-0",
            "0.10000000000000000000001",
            "123456789012345678901234567890");
    for (String n : numbers) {
      boolean ours = UnstorableContent.find(ExactJson.read("[" + n + "]")).isEmpty();

      assertThat(postgresTakes(services, "[" + n + "]"))
          .as("PostgreSQL takes %s", n)
          .isEqualTo(ours);
    }
  }

  @Test
  void theCharacterRuleAgreesWithPostgres(TestServices services) throws Exception {
    List<String> strings =
        List.of(
            "\"\\u0000\"",
            "\"a\\u0000\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud83d\\ude00\"",
            "\"\\u0001\\u0008\\u001f\\u007f\\u0085\"",
            "\"\\ufffe\\uffff\\ufeff\"",
            "{\"k\\u0000\":1}",
            "{\"\\u0001\":1}");
    for (String s : strings) {
      boolean ours = UnstorableContent.find(ExactJson.read(s)).isEmpty();

      assertThat(postgresTakes(services, s)).as("PostgreSQL takes %s", s).isEqualTo(ours);
    }
  }

  @Test
  void whateverStoredJsonMakesOfATextAJsonbColumnTakes(TestServices services) throws Exception {
    List<String> texts =
        List.of(
            "{\"text\":\"a\\u0000b\"}",
            "{\"text\":\"\\ud800\"}",
            "{\"text\":\"raw \ud800 lone\"}",
            "raw \u0000 nul, not JSON",
            "{\"n\":1e131072}",
            "[1e99999999999999]",
            "Infinity",
            "NaN",
            "",
            "{\"a\":1} trailing",
            "{\"big\":\"" + "x".repeat(2 << 20) + "\"}",
            "{\"ok\":[1.50, 1e400, \"\\u0001\"]}");
    for (String t : texts) {
      String stored = StoredJson.of(t, 1 << 20);

      assertThat(postgresTakes(services, stored))
          .as("jsonb takes what StoredJson made of %s", t.length() > 60 ? t.substring(0, 60) : t)
          .isTrue();
    }
  }

  private static boolean postgresTakes(TestServices services, String json) throws SQLException {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb")) {
      ps.setString(1, json);
      ps.executeQuery().close();
      return true;
    } catch (SQLException e) {
      if (e.getSQLState() != null && (e.getSQLState().startsWith("22"))) {
        return false;
      }
      throw e;
    }
  }
}
