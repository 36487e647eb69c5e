package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

/** Pins every key shape: they are a contract between the three daemons and operators' scripts. */
class KeysTest {
  private final Keys keys = new Keys("conveyor");

  @Test
  void everyKeyShapeIsPinned() {
    assertThat(keys.inbox()).isEqualTo("conveyor:inbox");
    assertThat(keys.taskMeta("doc-42")).isEqualTo("conveyor:t:{doc-42}:meta");
    assertThat(keys.taskParts("doc-42")).isEqualTo("conveyor:t:{doc-42}:parts");
    assertThat(keys.taskOutput("doc-42", "company")).isEqualTo("conveyor:t:{doc-42}:out:company");
    assertThat(keys.taskDead("doc-42")).isEqualTo("conveyor:t:{doc-42}:dead");
    assertThat(keys.stepQueue("ner", "company", 3)).isEqualTo("conveyor:q:{ner:company:3}");
    assertThat(keys.stepRetries("ner", "company", 3)).isEqualTo("conveyor:retry:{ner:company:3}");
    assertThat(keys.inflight("ner")).isEqualTo("conveyor:inflight:ner");
    assertThat(keys.finished("ner")).isEqualTo("conveyor:finished:ner");
    assertThat(keys.node("processor-1")).isEqualTo("conveyor:node:processor-1");
    assertThat(keys.nodes()).isEqualTo("conveyor:nodes");
    assertThat(keys.taskEvents()).isEqualTo("conveyor:events");
    assertThat(Keys.DISPATCHER_GROUP).isEqualTo("dispatchers");
    assertThat(Keys.PROCESSOR_GROUP).isEqualTo("processors");
    assertThat(Keys.PROCESSOR_CONSUMER).isEqualTo("tick");
  }

  @Test
  void theNamespaceIsThePrefixOfEveryKey() {
    Keys other = new Keys("staging");
    assertThat(
            List.of(
                other.inbox(),
                other.taskMeta("a"),
                other.stepQueue("p", "s", 0),
                other.inflight("p"),
                other.finished("p"),
                other.node("n"),
                other.nodes(),
                other.taskEvents()))
        .allMatch(k -> k.startsWith("staging:"));
  }

  @Test
  void keysOfOneTaskShareAClusterSlot() {
    String id = "doc-42";
    List<String> taskKeys =
        List.of(
            keys.taskMeta(id),
            keys.taskParts(id),
            keys.taskOutput(id, "company"),
            keys.taskOutput(id, "person"),
            keys.taskDead(id));

    assertThat(taskKeys.stream().map(KeysTest::slot).distinct()).hasSize(1);
    assertThat(slot(keys.taskMeta(id))).isEqualTo(slot("{" + id + "}"));
  }

  @Test
  void aShardsQueueAndRetrySetShareASlot() {
    assertThat(slot(keys.stepQueue("ner", "company", 1)))
        .isEqualTo(slot(keys.stepRetries("ner", "company", 1)));
  }

  @Test
  void queuesOfDifferentStepsAndShardsSpreadOverSlots() {
    List<Integer> slots =
        List.of(
                keys.stepQueue("ner", "company", 0),
                keys.stepQueue("ner", "company", 1),
                keys.stepQueue("ner", "person", 0),
                keys.stepQueue("ner", "deliver", 0))
            .stream()
            .map(KeysTest::slot)
            .distinct()
            .toList();
    assertThat(slots).hasSizeGreaterThan(1);
  }

  @Test
  void taskIdsFollowTheInboundContract() {
    assertThat(Keys.TASK_ID.matcher("doc-42").matches()).isTrue();
    assertThat(Keys.TASK_ID.matcher("a.b_c:d-1").matches()).isTrue();
    assertThat(Keys.TASK_ID.matcher("x".repeat(128)).matches()).isTrue();
    assertThat(Keys.TASK_ID.matcher("x".repeat(129)).matches()).isFalse();
    assertThat(Keys.TASK_ID.matcher("a{b}").matches()).isFalse();
    assertThat(Keys.TASK_ID.matcher("").matches()).isFalse();
    assertThat(Keys.TASK_ID.matcher("with space").matches()).isFalse();
  }

  private static int slot(String key) {
    return JedisClusterCRC16.getSlot(key.getBytes(StandardCharsets.UTF_8));
  }
}
