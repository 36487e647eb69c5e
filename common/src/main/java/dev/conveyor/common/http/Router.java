package dev.conveyor.common.http;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Finds the route for a request, or says why there is none. */
final class Router {
  private final List<Route> routes;

  Router(List<Route> routes) {
    var seen = new HashSet<String>();
    for (Route route : routes) {
      if (!seen.add(route.method() + " " + route.pattern())) {
        throw new IllegalArgumentException(
            "route " + route.method() + " " + route.pattern() + " is registered twice");
      }
    }
    this.routes = List.copyOf(routes);
  }

  /** The outcome of {@link #resolve}. */
  sealed interface Resolution {}

  record Found(Route route, String wildcard) implements Resolution {}

  record NotFound() implements Resolution {}

  record MethodNotAllowed(Set<String> allowed) implements Resolution {}

  /**
   * The most specific route for the method among those matching the path; 405 when the path matches
   * only routes of other methods.
   */
  Resolution resolve(String method, String path) {
    List<Route> onPath = routes.stream().filter(route -> route.matches(path)).toList();
    if (onPath.isEmpty()) {
      return new NotFound();
    }
    return onPath.stream()
        .filter(route -> route.method().equals(method))
        .max(Comparator.comparingInt(Route::specificity))
        .<Resolution>map(route -> new Found(route, route.wildcard(path)))
        .orElseGet(
            () -> new MethodNotAllowed(new TreeSet<>(onPath.stream().map(Route::method).toList())));
  }
}
