package dev.conveyor.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {
  private static final Handler OK = request -> HttpResponse.text(200, "ok");

  private final Route tasks = new Route("GET", "/tasks/*", OK, false);
  private final Route taskSteps = new Route("GET", "/tasks/steps/*", OK, false);
  private final Route replay = new Route("POST", "/tasks/replay", OK, true);
  private final Router router = new Router(List.of(tasks, taskSteps, replay));

  @Test
  void longestPrefixWinsAndGetsTheRest() {
    assertThat(router.resolve("GET", "/tasks/steps/ner"))
        .isEqualTo(new Router.Found(taskSteps, "ner"));
    assertThat(router.resolve("GET", "/tasks/doc/42")).isEqualTo(new Router.Found(tasks, "doc/42"));
  }

  @Test
  void prefixRouteServesAPathWhoseExactRouteHasAnotherMethod() {
    assertThat(router.resolve("GET", "/tasks/replay")).isEqualTo(new Router.Found(tasks, "replay"));
    assertThat(router.resolve("POST", "/tasks/replay")).isEqualTo(new Router.Found(replay, ""));
  }

  @Test
  void methodNotAllowedListsEveryMethodOnThePath() {
    assertThat(router.resolve("DELETE", "/tasks/replay"))
        .isEqualTo(new Router.MethodNotAllowed(java.util.Set.of("GET", "POST")));
  }

  @Test
  void unmatchedPathIsNotFound() {
    assertThat(router.resolve("GET", "/task")).isEqualTo(new Router.NotFound());
    assertThat(router.resolve("GET", "/tasks")).isEqualTo(new Router.NotFound());
  }

  @Test
  void sameMethodAndPathTwiceIsRefused() {
    assertThatThrownBy(() -> new Router(List.of(tasks, new Route("get", "/tasks/*", OK, true))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route GET /tasks/* is registered twice");
  }

  @Test
  void malformedRoutesAreRefused() {
    assertThatThrownBy(() -> new Route("GET", "tasks", OK, false))
        .hasMessage("path must start with /, was tasks");
    assertThatThrownBy(() -> new Route("GET", "/tasks*", OK, false))
        .hasMessage("* may only end a path as /*, was /tasks*");
    assertThatThrownBy(() -> new Route("GET", "/*/x", OK, false))
        .hasMessage("* may only end a path as /*, was /*/x");
    assertThatThrownBy(() -> new Route("GE T", "/x", OK, false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
