package dev.conveyor.common.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server does not know it yet (a
 * new or restarted Redis, or another cluster node). All keys a script touches are passed as KEYS
 * and share one hash slot.
 */
public final class LuaScript {
  private final String name;
  private final String source;
  private final String sha1;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha1 = sha1(source);
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
   * Runs the script once per call in one pipeline (one round trip for all); the replies in order. A
   * server that does not know the script yet gets it by EVAL, call by call.
   */
  public List<Object> runAll(UnifiedJedis jedis, List<Call> calls) {
    List<Response<Object>> replies = new ArrayList<>(calls.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Call c : calls) {
        replies.add(p.evalsha(sha1, c.keys(), c.args()));
      }
      p.sync();
    }
    List<Object> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      try {
        out.add(PipelineReplies.get(replies.get(i)));
      } catch (JedisNoScriptException e) {
        out.add(run(jedis, calls.get(i).keys(), calls.get(i).args()));
      }
    }
    return out;
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
