package dev.conveyor.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay to a server that can go half-open, as a connection does when the path to its server
 * is lost without a word (a firewall or NAT forgetting it, a partition): after {@link #freeze()},
 * nothing goes through any connection any more in either direction, yet none is closed, and new
 * connections are accepted but never reach the server either; after {@link #thaw()}, new
 * connections work again, while those of before stay dead for good — only timeouts free a client
 * (and the server) from them.
 */
final class FreezingRelay implements AutoCloseable {
  private final String host;
  private final int port;
  private final ServerSocket server;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean frozen;
  private volatile boolean closed;

  /** One client connection and its server side. */
  private final class Link {
    final Socket client;
    volatile Socket upstream;
    volatile boolean dead;

    Link(Socket client) {
      this.client = client;
    }
  }

  FreezingRelay(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  /** From now on nothing goes through; every connection open now stays dead for good. */
  void freeze() {
    frozen = true;
    links.forEach(l -> l.dead = true);
  }

  /** New connections go through again (the old ones do not). */
  void thaw() {
    frozen = false;
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      Link link = new Link(client);
      links.add(link);
      if (frozen) {
        // why: a connection opened across a lost path: the handshake seems to work, then nothing
        link.dead = true;
        continue;
      }
      Thread.ofVirtual().start(() -> connect(link));
    }
  }

  private void connect(Link link) {
    try {
      Socket up = new Socket(host, port);
      link.upstream = up;
      Thread.ofVirtual().start(() -> pump(link, link.client, up));
      pump(link, up, link.client);
    } catch (IOException e) {
      closeQuietly(link.client);
    }
  }

  /** Copies {@code from} to {@code to} until either closes or the link dies. */
  private void pump(Link link, Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        if (link.dead) {
          // why: what arrives now is lost on the way; keep reading so that nobody notices
          continue;
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // the other side went away
    }
    if (!link.dead) {
      closeQuietly(link.client);
      closeQuietly(link.upstream);
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (Link l : links) {
      closeQuietly(l.client);
      closeQuietly(l.upstream);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
  }
}
