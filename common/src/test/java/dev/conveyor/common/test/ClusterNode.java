package dev.conveyor.common.test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import redis.clients.jedis.HostAndPort;

/** One line of CLUSTER NODES. */
record ClusterNode(
    String id,
    HostAndPort address,
    boolean master,
    String masterId,
    boolean connected,
    boolean failed,
    String slots) {

  static List<ClusterNode> parseAll(String text) {
    List<ClusterNode> nodes = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        nodes.add(parse(line.strip()));
      }
    }
    return nodes;
  }

  // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link>
  // <slot> ...
  static ClusterNode parse(String line) {
    String[] f = line.split(" ");
    String addr = f[1].substring(0, f[1].indexOf('@'));
    int colon = addr.lastIndexOf(':');
    List<String> flags = List.of(f[2].split(","));
    List<String> slots = new ArrayList<>();
    for (int i = 8; i < f.length; i++) {
      if (!f[i].startsWith("[")) {
        slots.add(f[i]);
      }
    }
    return new ClusterNode(
        f[0],
        new HostAndPort(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1))),
        flags.contains("master"),
        "-".equals(f[3]) ? null : f[3],
        "connected".equals(f[7]),
        flags.contains("fail") || flags.contains("fail?") || flags.contains("noaddr"),
        String.join(" ", slots));
  }

  boolean serves(int slot) {
    return Optional.of(slots).filter(s -> !s.isEmpty()).stream()
        .flatMap(s -> Stream.of(s.split(" ")))
        .anyMatch(range -> {
          int dash = range.indexOf('-');
          int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
          int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
          return slot >= from && slot <= to;
        });
  }
}
