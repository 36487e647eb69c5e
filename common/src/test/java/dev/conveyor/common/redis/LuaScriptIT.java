package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * {@link LuaScript#runAll}: many calls in few invocations of the script's batch form, each call
 * answered in its place, as the calls one by one would be.
 */
@WithServices
class LuaScriptIT {
  private static final LuaScript SCRIPT = LuaScript.load("test_batch");

  @Test
  void everyCallIsAnsweredInOrderAsItWouldBeAlone(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    List<LuaScript.Call> calls = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      // why: keys of many hash slots; on a cluster the batches must keep to one slot each
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
  void theCallsOfOneSlotRunAHundredPerInvocation(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    List<LuaScript.Call> calls = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      // why: one task's keys: one hash slot, on a cluster too
      calls.add(
          new LuaScript.Call(
              List.of(services.keys().taskOutput("counted", "step" + i)), List.of("v" + i)));
    }
    String key = calls.getFirst().keys().getFirst();
    SCRIPT.runAll(jedis, calls); // the batch form is loaded now
    long before = evalCalls(jedis, key);

    SCRIPT.runAll(jedis, calls);

    assertThat(evalCalls(jedis, key) - before).isEqualTo(3);
  }

  @Test
  void aCallAnsweringNothingKeepsItsPlace(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "nothing";
    List<LuaScript.Call> calls =
        List.of(
            new LuaScript.Call(List.of(services.keys().taskMeta(tag)), List.of("a")),
            new LuaScript.Call(List.of(services.keys().taskParts(tag)), List.of("nothing")),
            new LuaScript.Call(List.of(services.keys().taskDead(tag)), List.of("c")));

    List<Object> replies = SCRIPT.runAll(jedis, calls);

    assertThat(replies).containsExactly(List.of("a", 1L, 1L), null, List.of("c", 1L, 1L));
    assertThat(jedis.get(services.keys().taskParts(tag))).isEqualTo("nothing");
  }

  @Test
  void theBatchFormIsLoadedAgainAfterAScriptFlush(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "flushed";
    List<LuaScript.Call> calls =
        List.of(
            new LuaScript.Call(List.of(services.keys().taskMeta(tag)), List.of("1")),
            new LuaScript.Call(List.of(services.keys().taskParts(tag)), List.of("2")));
    SCRIPT.runAll(jedis, calls);
    jedis.scriptFlush(services.keys().taskMeta(tag));

    assertThat(SCRIPT.runAll(jedis, calls))
        .containsExactly(List.of("1", 1L, 1L), List.of("2", 1L, 1L));
  }

  @Test
  void aFailingCallFailsTheCallerAndTheCallsBeforeItTookEffect(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String tag = "failing";
    List<LuaScript.Call> calls =
        List.of(
            new LuaScript.Call(List.of(services.keys().taskMeta(tag)), List.of("before")),
            new LuaScript.Call(List.of(services.keys().taskParts(tag)), List.of("fail")));

    assertThatThrownBy(() -> SCRIPT.runAll(jedis, calls))
        .isInstanceOf(JedisDataException.class)
        .hasMessageContaining("asked to fail");
    assertThat(jedis.get(services.keys().taskMeta(tag))).isEqualTo("before");
  }

  @Test
  void noCallsNoInvocation(TestServices services) {
    assertThat(SCRIPT.runAll(services.jedis(), List.of())).isEmpty();
  }

  /** EVALSHA calls so far on the Redis (the cluster's node) that holds {@code key}. */
  private static long evalCalls(UnifiedJedis jedis, String key) {
    String info;
    if (jedis instanceof RedisClusterClient cluster) {
      try (Connection c = cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(key))) {
        info = c.executeCommand(new CommandObjects(RedisProtocol.RESP2).info("commandstats"));
      }
    } else {
      info = jedis.info("commandstats");
    }
    return info.lines()
        .filter(l -> l.startsWith("cmdstat_evalsha:"))
        .map(l -> l.replaceAll("^cmdstat_evalsha:calls=(\\d+),.*", "$1"))
        .mapToLong(Long::parseLong)
        .findFirst()
        .orElse(0L);
  }
}
