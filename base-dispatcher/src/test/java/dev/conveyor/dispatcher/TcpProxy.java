package dev.conveyor.dispatcher;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP relay in front of PostgreSQL, so the dispatcher's database can become unreachable for real:
 * {@link #cut()} drops every relayed connection and turns new ones away, {@link #restore()} relays
 * again.
 */
final class TcpProxy implements AutoCloseable {
  private static final Pattern JDBC =
      Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?(/.*)");

  private final String host;
  private final int port;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean open = true;

  private TcpProxy(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().name("pg-proxy").daemon().start(this::accept);
  }

  static TcpProxy to(String jdbcUrl) throws IOException {
    Matcher m = match(jdbcUrl);
    return new TcpProxy(m.group(1), m.group(2) == null ? 5432 : Integer.parseInt(m.group(2)));
  }

  String jdbcUrl(String original) {
    return "jdbc:postgresql://127.0.0.1:" + server.getLocalPort() + match(original).group(3);
  }

  void cut() {
    open = false;
    sockets.forEach(TcpProxy::closeQuietly);
    sockets.clear();
  }

  void restore() {
    open = true;
  }

  @Override
  public void close() {
    closeQuietly(server);
    cut();
  }

  private static Matcher match(String jdbcUrl) {
    Matcher m = JDBC.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a jdbc:postgresql URL: " + jdbcUrl);
    }
    return m;
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (!open) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket upstream = new Socket(host, port);
        sockets.add(client);
        sockets.add(upstream);
        relay(client, upstream);
        relay(upstream, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void relay(Socket from, Socket to) {
    Thread.ofVirtual()
        .name("pg-proxy-relay")
        .start(() -> {
          try {
            from.getInputStream().transferTo(to.getOutputStream());
          } catch (IOException e) {
            // the other side closed, or cut() did
          } finally {
            closeQuietly(from);
            closeQuietly(to);
          }
        });
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      Objects.requireNonNull(c).close();
    } catch (Exception e) {
      // closing is best effort here
    }
  }
}
