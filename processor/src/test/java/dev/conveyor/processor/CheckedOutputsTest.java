package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckedOutputsTest {
  private final CheckedOutputs checked = new CheckedOutputs(new NoWork(), 64L << 20);

  @Test
  void cleanOutputsPass() {
    assertThat(checked.problem("{\"text\":\"a\\ud83d\\ude00\",\"n\":1.50,\"k\":[null,true,-0]}"))
        .isEmpty();
    assertThat(checked.problem("123456789012345678901234567890")).isEmpty();
    assertThat(checked.problem("\"\\u0001\\ufffe\"")).isEmpty();
  }

  @Test
  void whatPostgresCannotStoreIsNamedWithItsPath() {
    assertThat(checked.problem("{\"a\":[\"x\",\"y\\u0000\"]}"))
        .contains("output holds U+0000 at $.a[1], which PostgreSQL cannot store");
    assertThat(checked.problem("{\"a\":{\"k\\u0000\":1}}"))
        .contains("output holds U+0000 at $.a[\"k\\u0000\"], which PostgreSQL cannot store");
    assertThat(checked.problem("[\"ok\",\"\\ud800\"]"))
        .contains("output holds a lone surrogate at $[1], which PostgreSQL cannot store");
    assertThat(checked.problem("{\"n\":[1e131072]}"))
        .contains(
            "output holds a number beyond PostgreSQL numeric's range at $.n[0], which PostgreSQL"
                + " cannot store");
    assertThat(checked.problem("[123" + "0".repeat(131_072) + "]"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
  }

  @Test
  void whatIsNotOneJsonValueIsSaidSo() {
    assertThat(checked.problem("NaN"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("{} x"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("{} {}"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("{\"a\":"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("[1e99999999999999]"))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("[".repeat(1001) + "]".repeat(1001)))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
    assertThat(checked.problem("")).contains("output is empty");
    assertThat(checked.problem("  ")).contains("output is empty");
    assertThat(checked.problem(null)).contains("the step gave no output");
  }

  @Test
  void aStringBeyondTheParsersLimitIsNotJsonEvenWithinTheByteLimit() {
    String huge = "\"" + "x".repeat(21_000_000) + "\"";

    assertThat(checked.problem(huge))
        .hasValueSatisfying(p -> assertThat(p).startsWith("output is not JSON"));
  }

  @Test
  void anOutputOverTheLimitFailsByItsSize() {
    CheckedOutputs small = new CheckedOutputs(new NoWork(), 1024);

    assertThat(small.problem("\"" + "x".repeat(2000) + "\""))
        .contains("output is 2002 bytes, the limit is 1024 (CONVEYOR_MAX_OUTPUT_BYTES)");
  }

  @Test
  void anOutputWhoseTreeWasCheckedIsCheckedForItsSizeOnlyAndTheRestAsText() {
    String tooBig = "[\"" + "x".repeat(2000) + "\"]";
    CheckedOutputs small =
        new CheckedOutputs(
            new Answers(
                new ItemResult.Output("[\"checked\"]", true),
                new ItemResult.Output(tooBig, true),
                new ItemResult.Output("{\"t\":\"x\\u0000\"}", false),
                new ItemResult.Output("[1]")),
            1024);

    List<ItemResult> results = small.process(List.of());

    assertThat(results.get(0)).isEqualTo(new ItemResult.Output("[\"checked\"]", true));
    assertThat(results.get(1))
        .isEqualTo(
            new ItemResult.Failed(
                "output is 2004 bytes, the limit is 1024 (CONVEYOR_MAX_OUTPUT_BYTES)"));
    assertThat(results.get(2))
        .isEqualTo(
            new ItemResult.Failed("output holds U+0000 at $.t, which PostgreSQL cannot store"));
    assertThat(results.get(3)).isEqualTo(new ItemResult.Output("[1]", false));
  }

  /** Answers the same results to any batch. */
  private record Answers(ItemResult... results) implements StepWork {
    @Override
    public List<ItemResult> process(List<WorkItem> batch) {
      return List.of(results);
    }

    @Override
    public void close() {}
  }

  private static final class NoWork implements StepWork {
    @Override
    public List<ItemResult> process(List<WorkItem> batch) {
      return List.of();
    }

    @Override
    public void close() {}
  }
}
