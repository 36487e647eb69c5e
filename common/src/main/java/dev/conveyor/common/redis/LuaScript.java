package dev.conveyor.common.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server does not know it yet (a
 * new or restarted Redis, or another cluster node). All keys one call of a script touches are
 * passed as KEYS and share one hash slot.
 *
 * <p>{@link #runAll Many calls} run as few invocations of the script's batch form: the same body as
 * a Lua function, called once per call inside one script. A call costs Redis the body's own
 * commands, not an EVALSHA each (parsing, the script's set-up and its reply).
 */
public final class LuaScript {
  /**
   * Most calls one batch invocation holds. why: Redis serves no other client while a script runs;
   * at a few microseconds per call, 100 calls keep that well under a millisecond.
   */
  static final int MAX_BATCH = 100;

  // why: the body becomes a function whose parameters shadow the globals KEYS and ARGV; ARGV of
  // the batch: the number of calls, then per call its number of keys, of arguments, and those
  // arguments; KEYS: every call's keys in turn. A call answering nothing answers false (nil),
  // which keeps its place in the reply.
  private static final String BATCH_HEAD = "local function call(KEYS, ARGV)\n";
  private static final String BATCH_TAIL =
      """

      end
      local replies = {}
      local k, a = 0, 2
      for i = 1, tonumber(ARGV[1]) do
        local nk, na = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
        local keys, args = {}, {}
        for j = 1, nk do keys[j] = KEYS[k + j] end
        for j = 1, na do args[j] = ARGV[a + 1 + j] end
        k = k + nk
        a = a + 2 + na
        local reply = call(keys, args)
        if reply == nil then reply = false end
        replies[i] = reply
      end
      return replies
      """;

  private final String name;
  private final String source;
  private final String sha1;
  private final String batchSource;
  private final String batchSha1;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha1 = sha1(source);
    this.batchSource = BATCH_HEAD + source + BATCH_TAIL;
    this.batchSha1 = sha1(batchSource);
  }

  /** Loads {@code /dev/conveyor/lua/<name>.lua} from the classpath. */
  public static LuaScript load(String name) {
    String path = "/dev/conveyor/lua/" + name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing Lua script on the classpath: " + path);
      }
      return new LuaScript(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  /**
   * Runs the script once per call, in order, in one round trip: the calls go in batches of at most
   * {@value #MAX_BATCH} whose keys share a hash slot (on a Redis Cluster, the calls of one slot; on
   * a single Redis, any), each batch one invocation of the batch form. The replies in order. A call
   * that fails fails its batch: the calls of the batch before it took effect, those after it did
   * not (every caller's writes are idempotent and it retries). A server that does not know the
   * batch form yet gets it by EVAL.
   */
  public List<Object> runAll(UnifiedJedis jedis, List<Call> calls) {
    List<List<Integer>> batches = batches(jedis, calls);
    List<Response<Object>> replies = new ArrayList<>(batches.size());
    List<List<String>> batchKeys = new ArrayList<>(batches.size());
    List<List<String>> batchArgs = new ArrayList<>(batches.size());
    for (List<Integer> batch : batches) {
      List<String> keys = new ArrayList<>();
      List<String> args = new ArrayList<>();
      args.add(Integer.toString(batch.size()));
      for (int i : batch) {
        Call c = calls.get(i);
        keys.addAll(c.keys());
        args.add(Integer.toString(c.keys().size()));
        args.add(Integer.toString(c.args().size()));
        args.addAll(c.args());
      }
      batchKeys.add(keys);
      batchArgs.add(args);
    }
    try (AbstractPipeline p = jedis.pipelined()) {
      for (int b = 0; b < batches.size(); b++) {
        replies.add(p.evalsha(batchSha1, batchKeys.get(b), batchArgs.get(b)));
      }
      p.sync();
    }
    Object[] out = new Object[calls.size()];
    for (int b = 0; b < batches.size(); b++) {
      Object reply;
      try {
        reply = PipelineReplies.get(replies.get(b));
      } catch (JedisNoScriptException e) {
        reply = jedis.eval(batchSource, batchKeys.get(b), batchArgs.get(b));
      }
      List<?> perCall = (List<?>) reply;
      List<Integer> batch = batches.get(b);
      for (int j = 0; j < batch.size(); j++) {
        if (perCall.get(j) instanceof JedisDataException error) {
          // why: a call that answered an error reply; alone, its EVALSHA would have thrown it
          throw error;
        }
        out[batch.get(j)] = perCall.get(j);
      }
    }
    return Arrays.asList(out);
  }

  /** The calls' indexes in batches of one hash slot (any slot on a single Redis), in order. */
  private static List<List<Integer>> batches(UnifiedJedis jedis, List<Call> calls) {
    boolean cluster = jedis instanceof RedisClusterClient;
    Map<Integer, List<Integer>> open = new LinkedHashMap<>();
    List<List<Integer>> batches = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      int slot = cluster ? JedisClusterCRC16.getSlot(calls.get(i).keys().getFirst()) : 0;
      List<Integer> batch = open.computeIfAbsent(slot, s -> new ArrayList<>());
      if (batch.isEmpty()) {
        batches.add(batch);
      }
      batch.add(i);
      if (batch.size() == MAX_BATCH) {
        open.remove(slot);
      }
    }
    return batches;
  }

  /** One invocation's KEYS and ARGV. */
  public record Call(List<String> keys, List<String> args) {}

  public Object run(UnifiedJedis jedis, List<String> keys, List<String> args) {
    try {
      return jedis.evalsha(sha1, keys, args);
    } catch (JedisNoScriptException e) {
      return jedis.eval(source, keys, args);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
