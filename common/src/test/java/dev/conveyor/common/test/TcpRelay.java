package dev.conveyor.common.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of a test service (Redis or PostgreSQL), so that a daemon's service can go
 * away for real while other tests keep the shared server: {@link #cut()} drops every relayed
 * connection and turns new ones away, {@link #restore()} relays again.
 */
public final class TcpRelay implements AutoCloseable {
  private final String host;
  private final int port;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean open = true;

  public TcpRelay(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().name("tcp-relay").daemon().start(this::accept);
  }

  /** A relay to the host and port of a {@code redis://} or {@code jdbc:postgresql://} URL. */
  public static TcpRelay to(String url) throws IOException {
    java.net.URI uri = java.net.URI.create(url.startsWith("jdbc:") ? url.substring(5) : url);
    int port = uri.getPort() > 0 ? uri.getPort() : url.startsWith("redis") ? 6379 : 5432;
    return new TcpRelay(uri.getHost(), port);
  }

  /** {@code url} with the relay's address instead of the service's. */
  public String url(String url) {
    String prefix = url.startsWith("jdbc:") ? "jdbc:" : "";
    java.net.URI uri = java.net.URI.create(url.substring(prefix.length()));
    String authority = uri.getRawAuthority();
    String relayed =
        (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@")
            + "127.0.0.1:"
            + server.getLocalPort();
    return url.replace(authority, relayed);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Drops every relayed connection; new ones are closed at once. */
  public void cut() {
    open = false;
    sockets.forEach(TcpRelay::closeQuietly);
    sockets.clear();
  }

  /** Relays new connections again. */
  public void restore() {
    open = true;
  }

  @Override
  public void close() {
    closeQuietly(server);
    cut();
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
      Thread.ofVirtual().start(() -> relay(client));
    }
  }

  private void relay(Socket client) {
    Socket upstream;
    try {
      upstream = new Socket(host, port);
    } catch (IOException e) {
      closeQuietly(client);
      return;
    }
    sockets.add(client);
    sockets.add(upstream);
    if (!open) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    Thread.ofVirtual().start(() -> pump(client, upstream));
    pump(upstream, client);
  }

  private static void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
