package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.SinkDef;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@WithServices
class SinkWorkIT {
  private static SinkWork sink;

  @BeforeAll
  static void table(TestServices services) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.words (task_id text NOT NULL, part int NOT NULL, pos int NOT NULL,"
            + " word text NOT NULL, PRIMARY KEY (task_id, part, pos))");
    sink =
        new SinkWork(
            services.dataSource(),
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef("conveyor", "words", List.of("task_id", "part", "pos"), List.of(), 2)));
  }

  @Test
  void objectsArraysAndRowsFieldsAllBecomeRowsWithTaskAndPartFilledIn(TestServices services) {
    List<ItemResult> results =
        sink.process(
            List.of(
                work("a", 0, "{\"pos\":0,\"word\":\"one\"}"),
                work("a", 1, "[{\"pos\":0,\"word\":\"two\"},{\"pos\":1,\"word\":\"three\"}]"),
                work(
                    "a",
                    2,
                    "{\"rows\":[{\"pos\":0,\"word\":\"x\"},{\"pos\":1,\"word\":\"y\"},"
                        + "{\"pos\":2,\"word\":\"z\"}]}")));

    assertThat(results)
        .containsExactly(
            new ItemResult.Output("1"), new ItemResult.Output("2"), new ItemResult.Output("3"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.words WHERE task_id = 'a'"))
        .isEqualTo(6);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.words WHERE task_id = 'a' AND part = 2 AND word = 'z'"))
        .isEqualTo(1);
  }

  @Test
  void redeliveryNeverDuplicatesARow(TestServices services) {
    List<WorkItem> batch =
        List.of(work("r", 0, "[{\"pos\":0,\"word\":\"w\"},{\"pos\":1,\"word\":\"v\"}]"));

    sink.process(batch);
    List<ItemResult> again = sink.process(batch);

    assertThat(again).containsExactly(new ItemResult.Output("2"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.words WHERE task_id = 'r'"))
        .isEqualTo(2);
  }

  @Test
  void oneBadItemDoesNotFailItsBatch(TestServices services) {
    List<ItemResult> results =
        sink.process(
            List.of(
                work("b", 0, "{\"pos\":0,\"word\":\"fine\"}"),
                work("b", 1, "{\"pos\":\"not a number\",\"word\":\"bad\"}"),
                work("b", 2, "{\"pos\":0}"),
                work("b", 3, "42"),
                work("b", 4, "{\"pos\":0,\"word\":\"also fine\"}")));

    assertThat(results.get(0)).isEqualTo(new ItemResult.Output("1"));
    assertThat(results.get(1)).isInstanceOf(ItemResult.Failed.class);
    assertThat(((ItemResult.Failed) results.get(1)).error()).contains("conveyor.words");
    assertThat(results.get(2)).as("NOT NULL word missing").isInstanceOf(ItemResult.Failed.class);
    assertThat(results.get(3))
        .isEqualTo(
            new ItemResult.Failed("sink input must be a JSON object or an array of objects"));
    assertThat(results.get(4)).isEqualTo(new ItemResult.Output("1"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.words WHERE task_id = 'b'"))
        .isEqualTo(2);
  }

  @Test
  void manyRowsGoInChunksOfBatchRowsInOneTransaction(TestServices services) {
    StringBuilder rows = new StringBuilder("[");
    for (int i = 0; i < 7; i++) {
      rows.append(i == 0 ? "" : ",")
          .append("{\"pos\":")
          .append(i)
          .append(",\"word\":\"w")
          .append(i)
          .append("\"}");
    }
    rows.append(']');

    assertThat(sink.process(List.of(work("c", 0, rows.toString()))))
        .containsExactly(new ItemResult.Output("7"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.words WHERE task_id = 'c'"))
        .isEqualTo(7);
  }

  @Test
  void aFailingBatchIsHalvedDownToTheItemAtFaultInLogarithmicallyManyTransactions(
      TestServices services) {
    for (int n : new int[] {64, 500}) {
      List<WorkItem> batch = new ArrayList<>();
      int bad = n * 37 / 64;
      for (int i = 0; i < n; i++) {
        String word = i == bad ? "null" : "\"w" + i + "\"";
        batch.add(work("bis-" + n, i, "{\"pos\":0,\"word\":" + word + "}"));
      }
      long before = sink.transactions();

      List<ItemResult> results = sink.process(batch);

      long spent = sink.transactions() - before;
      System.out.printf("event=bisection items=%d bad=1 transactions=%d%n", n, spent);
      assertThat(results.get(bad)).isInstanceOf(ItemResult.Failed.class);
      assertThat(results.stream().filter(r -> r instanceof ItemResult.Output).count())
          .isEqualTo(n - 1);
      assertThat(
              services.queryLong(
                  "SELECT count(*) FROM conveyor.words WHERE task_id = 'bis-" + n + "'"))
          .isEqualTo(n - 1);
      int log2 = 32 - Integer.numberOfLeadingZeros(n - 1);
      assertThat(spent).as("1 + 2 log2(n)").isLessThanOrEqualTo(1 + 2L * log2);
    }
  }

  @Test
  void theRowAtFaultOfAFailingItemIsNamedAndNoneOfItsRowsIsKept(TestServices services) {
    StringBuilder rows = new StringBuilder("[");
    for (int i = 0; i < 7; i++) {
      String word = i == 4 ? "null" : "\"w" + i + "\"";
      rows.append(i == 0 ? "" : ",")
          .append("{\"pos\":")
          .append(i)
          .append(",\"word\":")
          .append(word)
          .append('}');
    }
    rows.append(']');

    List<ItemResult> results =
        sink.process(
            List.of(
                work("row", 0, rows.toString()), work("row", 1, "{\"pos\":0,\"word\":\"ok\"}")));

    assertThat(((ItemResult.Failed) results.get(0)).error())
        .startsWith("insert into conveyor.words failed at row 5 of 7: ")
        .contains("\"pos\":4");
    assertThat(results.get(1)).isEqualTo(new ItemResult.Output("1"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.words WHERE task_id = 'row'"))
        .as("an item's rows are all or nothing")
        .isEqualTo(1);
  }

  @Test
  void theSinkSetsTaskIdAndPartWhateverTheRowSays(TestServices services) {
    List<ItemResult> results =
        sink.process(
            List.of(
                work("mine", 2, "{\"task_id\":\"theirs\",\"part\":9,\"pos\":0,\"word\":\"w\"}"),
                work("theirs", 9, "{\"pos\":0,\"word\":\"the real one\"}")));

    assertThat(results).containsExactly(new ItemResult.Output("1"), new ItemResult.Output("1"));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.words WHERE task_id = 'mine' AND part = 2"))
        .isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.words WHERE task_id = 'theirs' AND part = 9"
                    + " AND word = 'the real one'"))
        .as("the other task's row is not taken by a producer's keys")
        .isEqualTo(1);
  }

  @Test
  void aTaskScopeItemKeepsThePartOfItsRows(TestServices services) {
    sink.process(
        List.of(
            new WorkItem(
                new QueueItem("whole", QueueItem.TASK, "1-9"),
                "[{\"task_id\":\"x\",\"part\":3,\"pos\":0,\"word\":\"a\"}]")));

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.words WHERE task_id = 'whole' AND part = 3"))
        .isEqualTo(1);
  }

  @Test
  void rowsSentAsJsonTextAreStoredAndRefusedExactlyAsFromJsonb(TestServices services)
      throws Exception {
    String columns =
        "(task_id text NOT NULL, part int NOT NULL, pos int NOT NULL, t text, v varchar(6), i int,"
            + " b bigint, n numeric, f float8, ok bool, j jsonb, ts timestamptz, d date, ia int[],"
            + " PRIMARY KEY (task_id, part, pos))";
    services.sql("CREATE TABLE conveyor.kinds " + columns);
    services.sql("CREATE TABLE conveyor.kinds_jsonb " + columns);
    SinkWork kinds =
        new SinkWork(
            services.dataSource(),
            SinkTable.resolve(
                services.dataSource(),
                new SinkDef(
                    "conveyor", "kinds", List.of("task_id", "part", "pos"), List.of(), 10)));
    // plain rows (strings, integers, booleans, nulls) and others, into every kind of column
    List<String> values =
        List.of(
            "\"t\":\"héllo \\\"q\\\" \\t\\u001f é\"",
            "\"t\":42",
            "\"t\":-7",
            "\"t\":true",
            "\"t\":null",
            "\"t\":1e2",
            "\"t\":1.50",
            "\"t\":{\"b\":1,\"a\":[1, 2]}",
            "\"t\":[3,\"x\"]",
            "\"v\":\"short\"",
            "\"v\":\"far too long\"",
            "\"v\":123456789",
            "\"i\":\"12\"",
            "\"i\":\" 12 \"",
            "\"i\":12",
            "\"i\":99999999999",
            "\"i\":\"abc\"",
            "\"i\":true",
            "\"i\":1e2",
            "\"i\":1.0",
            "\"b\":9223372036854775807",
            "\"b\":9223372036854775808",
            "\"n\":123456789012345678901234567890",
            "\"n\":\"1.50\"",
            "\"n\":1.50",
            "\"n\":-0",
            "\"f\":-0",
            "\"f\":\"-0\"",
            "\"f\":\"NaN\"",
            "\"f\":3",
            "\"ok\":\"yes\"",
            "\"ok\":false",
            "\"ok\":1",
            "\"j\":\"text\"",
            "\"j\":5",
            "\"j\":{\"z\":1,\"a\":null}",
            "\"j\":false",
            "\"ts\":\"2026-12-07 10:00:00+02\"",
            "\"ts\":\"not a time\"",
            "\"ts\":1700000000",
            "\"d\":\"2026-02-30\"",
            "\"d\":\"2026-02-28\"",
            "\"ia\":\"{1,2,3}\"",
            "\"ia\":[1,2]",
            "\"ia\":\"[1,2]\"",
            "\"other\":1e400");

    List<WorkItem> batch = new ArrayList<>();
    for (int pos = 0; pos < values.size(); pos++) {
      batch.add(work("k", 0, "{\"pos\":" + pos + "," + values.get(pos) + "}"));
    }
    List<ItemResult> results = kinds.process(batch);

    for (int pos = 0; pos < values.size(); pos++) {
      String row = "[{\"task_id\":\"k\",\"part\":0,\"pos\":" + pos + "," + values.get(pos) + "}]";
      String error = null;
      try (var c = services.dataSource().getConnection();
          var ps =
              c.prepareStatement(
                  "INSERT INTO conveyor.kinds_jsonb SELECT * FROM"
                      + " jsonb_populate_recordset(NULL::conveyor.kinds_jsonb, ?::jsonb)")) {
        ps.setString(1, row);
        ps.executeUpdate();
      } catch (java.sql.SQLException e) {
        error = e.getMessage();
      }
      ItemResult result = results.get(pos);
      if (error == null) {
        assertThat(result).as(values.get(pos)).isEqualTo(new ItemResult.Output("1"));
      } else {
        assertThat(result).as(values.get(pos)).isInstanceOf(ItemResult.Failed.class);
        assertThat(((ItemResult.Failed) result).error()).as(values.get(pos)).endsWith(error);
      }
    }
    assertThat(stored(services, "conveyor.kinds"))
        .hasSizeGreaterThan(values.size() / 2)
        .isEqualTo(stored(services, "conveyor.kinds_jsonb"));
  }

  /** Each row of a table as text, in the order of pos. */
  private static List<String> stored(TestServices services, String table) throws Exception {
    List<String> rows = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT t::text FROM " + table + " t ORDER BY pos")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  private static WorkItem work(String task, int part, String input) {
    return new WorkItem(new QueueItem(task, part, "1-" + part), input);
  }
}
