package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.SinkDef;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@WithServices
class SinkTableIT {

  @BeforeAll
  static void tables(TestServices services) {
    services.sql(
        "CREATE TABLE conveyor.facts (id bigserial, task_id text NOT NULL, part int NOT NULL,"
            + " word text, created timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task_id, part))");
    services.sql("CREATE TABLE conveyor.loose (task_id text, part int)");
    services.sql(
        "CREATE TABLE conveyor.documents (task_id text PRIMARY KEY, body json, meta jsonb)");
  }

  @Test
  void columnsWithDefaultsAreLeftToTheDatabase(TestServices services) throws Exception {
    SinkTable t =
        SinkTable.resolve(
            services.dataSource(),
            new SinkDef("conveyor", "facts", List.of("task_id", "part"), List.of(), 1000));

    assertThat(t.columns()).containsExactly("task_id", "part", "word");
    assertThat(t.insertSql())
        .isEqualTo(
            "INSERT INTO \"conveyor\".\"facts\" (\"task_id\", \"part\", \"word\") SELECT"
                + " \"task_id\", \"part\", \"word\" FROM jsonb_populate_recordset(NULL::"
                + "\"conveyor\".\"facts\", ?::jsonb) ON CONFLICT (\"task_id\", \"part\") DO NOTHING");
    assertThat(t.plainInsertSql())
        .as("plain rows go as json text")
        .isEqualTo(
            "INSERT INTO \"conveyor\".\"facts\" (\"task_id\", \"part\", \"word\") SELECT"
                + " \"task_id\", \"part\", \"word\" FROM json_populate_recordset(NULL::"
                + "\"conveyor\".\"facts\", ?::json) ON CONFLICT (\"task_id\", \"part\") DO NOTHING");
  }

  @Test
  void aTableWithAJsonColumnTakesEveryRowAsJsonb(TestServices services) throws Exception {
    SinkTable t =
        SinkTable.resolve(
            services.dataSource(),
            new SinkDef("conveyor", "documents", List.of("task_id"), List.of(), 1000));

    // why: a json column keeps a string's text as written, jsonb as it prints it
    assertThat(t.plainInsertSql()).isEqualTo(t.insertSql()).contains("jsonb_populate_recordset");
  }

  @Test
  void aMissingTableIsNamed(TestServices services) {
    assertThatThrownBy(() ->
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef("conveyor", "nope", List.of("task_id"), List.of(), 1000)))
        .hasMessage("table conveyor.nope does not exist");
  }

  @Test
  void aKeyThatIsNotUniqueIsRefused(TestServices services) {
    assertThatThrownBy(() ->
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef("conveyor", "loose", List.of("task_id", "part"), List.of(), 1000)))
        .hasMessage(
            "key [task_id, part] of conveyor.loose is not a primary key or unique constraint"
                + " (ON CONFLICT needs one)");
  }

  @Test
  void unknownColumnsAreRefused(TestServices services) {
    assertThatThrownBy(() ->
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef("conveyor", "facts", List.of("task_id", "prt"), List.of(), 1000)))
        .hasMessage("key column prt is not a column of conveyor.facts");
    assertThatThrownBy(() ->
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef(
                    "conveyor",
                    "facts",
                    List.of("task_id", "part"),
                    List.of("task_id", "part", "wrd"),
                    1000)))
        .hasMessage("column wrd is not a column of conveyor.facts");
  }
}
