package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * {@link LuaScript#runAll}: many calls in one round trip, each answered in its place as it would be
 * alone; the script loaded again after a SCRIPT FLUSH; a failing call fails the caller.
 */
@WithServices
class LuaScriptIT {
  private static final LuaScript SCRIPT = LuaScript.load("test_calls");

  @Test
  void everyCallIsAnsweredInOrderAsItWouldBeAlone(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    List<LuaScript.Call> calls = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      // why: keys of many hash slots (on a cluster, of every master)
      List<String> keys = new ArrayList<>(List.of(services.keys().taskMeta("lua-" + i)));
      List<String> args = new ArrayList<>(List.of("v" + i));
      for (int extra = 0; extra < i % 3; extra++) {
        keys.add(services.keys().taskParts("lua-" + i));
        args.add("x" + extra);
      }
      calls.add(new LuaScript.Call(keys, args));
    }

    List<Object> replies = SCRIPT.runAll(jedis, calls);

    assertThat(replies).hasSize(250);
    for (int i = 0; i < 250; i++) {
      LuaScript.Call c = calls.get(i);
      assertThat(replies.get(i))
          .as("call %d", i)
          .isEqualTo(List.of("v" + i, (long) c.keys().size(), (long) c.args().size()))
          .isEqualTo(SCRIPT.run(jedis, c.keys(), c.args()));
      assertThat(jedis.get(c.keys().getFirst())).isEqualTo("v" + i);
    }
  }

  @Test
  void aCallAnsweringNothingKeepsItsPlace(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "nothing";
    List<LuaScript.Call> calls = callsOn(services, tag, "a", "nothing", "c");

    List<Object> replies = SCRIPT.runAll(jedis, calls);

    assertThat(replies).containsExactly(List.of("a", 1L, 1L), null, List.of("c", 1L, 1L));
    assertThat(jedis.get(services.keys().taskParts(tag))).isEqualTo("nothing");
  }

  @Test
  void theScriptIsLoadedAgainAfterAScriptFlush(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "flushed";
    List<LuaScript.Call> calls = callsOn(services, tag, "1", "2");
    SCRIPT.runAll(jedis, calls);
    jedis.scriptFlush(services.keys().taskMeta(tag));

    assertThat(SCRIPT.runAll(jedis, calls))
        .containsExactly(List.of("1", 1L, 1L), List.of("2", 1L, 1L));
  }

  @Test
  void aFailingCallFailsTheCallerAndTheCallsBeforeItTookEffect(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "failing";
    List<LuaScript.Call> calls = callsOn(services, tag, "before", "fail");

    assertThatThrownBy(() -> SCRIPT.runAll(jedis, calls))
        .isInstanceOf(JedisDataException.class)
        .hasMessageContaining("asked to fail");
    assertThat(jedis.get(services.keys().taskMeta(tag))).isEqualTo("before");
  }

  @Test
  void noCallsNothingSent(TestServices services) {
    assertThat(SCRIPT.runAll(services.jedis(), List.of())).isEmpty();
  }

  /**
   * One call per value, each on another key of task {@code tag} (meta, parts, dead, in that order):
   * the call sets its key to the value.
   */
  private static List<LuaScript.Call> callsOn(TestServices services, String tag, String... values) {
    List<String> keys =
        List.of(
            services.keys().taskMeta(tag),
            services.keys().taskParts(tag),
            services.keys().taskDead(tag));
    List<LuaScript.Call> calls = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      calls.add(new LuaScript.Call(List.of(keys.get(i)), List.of(values[i])));
    }
    return calls;
  }
}
