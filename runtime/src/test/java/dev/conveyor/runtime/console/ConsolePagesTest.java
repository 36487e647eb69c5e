package dev.conveyor.runtime.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.console.ConsoleData.Overview;
import dev.conveyor.runtime.console.ConsolePages.DeadFilter;
import dev.conveyor.runtime.console.ConsolePages.RejectedFilter;
import dev.conveyor.runtime.console.ConsolePages.Served;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.RejectedMessage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConsolePagesTest {
  private static final String SCRIPT = "<script>alert(1)</script>";
  private static final Served SERVED = new Served("patrol", "node-<b>1</b>");
  private static final Instant AT = Instant.parse("2026-03-01T10:15:02Z");

  @Test
  void escapeHelperEscapesEveryCharacterThatCouldOpenMarkup() {
    assertThat(Html.esc("<a href=\"x\" title='y'>&</a>"))
        .isEqualTo("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    assertThat(Html.esc(null)).isEmpty();
    assertThat(Html.url("a b/<c>")).isEqualTo("a%20b%2F%3Cc%3E");
  }

  @Test
  void aTaskIdWithScriptIsShownAsTextOnTheTaskPage() {
    var rejected =
        new RejectedMessage(
            1, "1-0", "bad_id" + SCRIPT, "detail " + SCRIPT, "{\"id\":\"" + SCRIPT + "\"}", AT);
    String html = ConsolePages.task(SERVED, SCRIPT, Optional.empty(), List.of(rejected), true);

    assertThat(html).doesNotContain("<script>alert").doesNotContain("<b>1</b>");
    assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    assertThat(html).contains("rejected: <strong>bad_id&lt;script&gt;");
  }

  @Test
  void deadItemsAndRejectedMessagesWithScriptAreShownAsText() {
    var dead =
        new DeadItem(
            "t-1", "p", 0, "s" + SCRIPT, 3, "error " + SCRIPT, "{\"text\":\"" + SCRIPT + "\"}", AT);
    var rejected = new RejectedMessage(2, "2-0", SCRIPT, SCRIPT, "{\"id\":\"" + SCRIPT + "\"}", AT);
    String deadPage =
        ConsolePages.dead(SERVED, new DeadFilter(SCRIPT, SCRIPT, null), List.of(dead));
    String rejectedPage =
        ConsolePages.rejected(SERVED, new RejectedFilter(SCRIPT, null, null), List.of(rejected));

    for (String html : List.of(deadPage, rejectedPage)) {
      assertThat(html).doesNotContain("<script>alert").contains("&lt;script&gt;");
      // only the console's own script, loaded from its own origin
      assertThat(html.split("<script", -1)).hasSize(2);
      assertThat(html).contains("<script src=\"/ui/console.js\" defer></script>");
    }
    assertThat(rejectedPage)
        .contains("<td class=\"id\">&lt;script&gt;alert(1)&lt;/script&gt;</td>");
    // the action's JSON body sits in an attribute, escaped, and still names the task
    assertThat(deadPage).contains("data-body=\"{&quot;task&quot;:&quot;t-1&quot;}\"");
  }

  @Test
  void aTaskTimelineShowsQueuedOutcomeAndCleaned() {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("task_id", "doc-1");
    report.put("pipeline", "ner");
    report.put("version", 1);
    report.put("received_at", AT);
    report.put("parts", 2);
    report.put("state", "cleaned");
    report.put("dead", List.of(Map.of("part", 1, "step", "a", "attempts", 1, "error", "boom")));
    report.put("outcome", "partial");
    report.put("finished_at", AT.plusSeconds(2));
    report.put("cleaned_at", AT.plusSeconds(5));

    String html = ConsolePages.task(SERVED, "doc-1", Optional.of(report), List.of(), true);

    assertThat(html)
        .contains("queued (received)")
        .contains("partial")
        .contains("cleaned")
        .contains("boom")
        .contains("data-action=\"replay\"");
  }

  @Test
  void aMessageStillInTheInboxIsQueuedAfterItsEarlierRejection() {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("task_id", "doc-2");
    report.put("state", "queued");
    report.put("pipeline", "ner");
    report.put("stream_id", "1700000000000-0");
    report.put("received_at", AT.plusSeconds(60));
    report.put("pending", true);
    var rejected = new RejectedMessage(3, "1-0", "payload_not_json", "bad", "{}", AT);

    String html = ConsolePages.task(SERVED, "doc-2", Optional.of(report), List.of(rejected), true);

    assertThat(html)
        .contains("rejected: <strong>payload_not_json")
        .contains(
            "<li class=\"queued\"><time>2026-03-01T10:16:02Z</time> queued in the inbox, read by a"
                + " dispatcher</li>")
        .contains("<dt>state</dt><dd>queued</dd>")
        .contains("<dt>inbox entry</dt><dd>1700000000000-0</dd>")
        .doesNotContain("task-missing")
        .doesNotContain("<h2>Steps</h2>");
  }

  @Test
  void aRejectedOnlyMessageIsShownOnceFromItsRejectedRows() {
    Map<String, Object> report = Map.of("task_id", "doc-3", "state", "rejected", "reason", "x");
    var rejected = new RejectedMessage(4, "1-0", "bad_id", "detail", "{}", AT);

    String html = ConsolePages.task(SERVED, "doc-3", Optional.of(report), List.of(rejected), true);

    assertThat(html.split("rejected: ", -1)).hasSize(2);
    assertThat(html).doesNotContain("queued").doesNotContain("<h2>Summary</h2>");
  }

  @Test
  void theOverviewShowsEachStepsP99ItemTimeOrADash() {
    Pipeline ner =
        PipelineLoader.parse(
            """
            pipeline: ner
            version: 1
            steps:
              - {name: split, kind: command, command: ./split}
              - {name: deliver, kind: sink, after: [split], sink: {table: conveyor.echo_rows, key: [task_id, part]}}
            """,
            "ner.yaml");
    var o =
        new Overview(
            AT,
            List.of(),
            Optional.empty(),
            List.of(ner),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of("ner.split", 12.5),
            Map.of("ner.split", 0.0384));

    String html = ConsolePages.overview(SERVED, o);

    String split = html.substring(html.indexOf("data-step=\"ner.split\""));
    String deliver = html.substring(html.indexOf("data-step=\"ner.deliver\""));
    assertThat(split).contains("<dt>p99</dt><dd>38 ms</dd>");
    assertThat(deliver).contains("<dt>p99</dt><dd>—</dd>");
    assertThat(ConsolePages.seconds(0.0042)).isEqualTo("4.2 ms");
    assertThat(ConsolePages.seconds(1.5)).isEqualTo("1.50 s");
  }

  @Test
  void everyPageIsReadableOnAPhone() {
    String html = ConsolePages.dead(SERVED, new DeadFilter(null, null, null), List.of());
    assertThat(html).contains("<meta name=\"viewport\" content=\"width=device-width");
  }
}
