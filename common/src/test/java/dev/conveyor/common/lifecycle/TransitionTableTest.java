package dev.conveyor.common.lifecycle;

import static dev.conveyor.common.lifecycle.State.COMPLETED;
import static dev.conveyor.common.lifecycle.State.DISABLED;
import static dev.conveyor.common.lifecycle.State.INITIAL;
import static dev.conveyor.common.lifecycle.State.INTERMITTED;
import static dev.conveyor.common.lifecycle.State.READY;
import static dev.conveyor.common.lifecycle.State.RUNNING;
import static dev.conveyor.common.lifecycle.State.TERMINATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransitionTableTest {

  // why: written out independently of Transition so that the matrix below tests the enum
  private static final Map<Transition, Set<State>> ALLOWED =
      Map.of(
          Transition.ACTIVATE, Set.of(INITIAL),
          Transition.DISABLE, Set.of(INITIAL, READY),
          Transition.ENABLE, Set.of(DISABLED),
          Transition.START, Set.of(READY),
          Transition.COMPLETE, Set.of(RUNNING, INTERMITTED),
          Transition.SUSPEND, Set.of(RUNNING),
          Transition.RESUME, Set.of(INTERMITTED),
          Transition.TERMINATE, Set.of(INITIAL, READY, RUNNING, INTERMITTED, DISABLED));

  private static final Map<Transition, State> TARGET =
      Map.of(
          Transition.ACTIVATE, READY,
          Transition.DISABLE, DISABLED,
          Transition.ENABLE, READY,
          Transition.START, RUNNING,
          Transition.COMPLETE, COMPLETED,
          Transition.SUSPEND, INTERMITTED,
          Transition.RESUME, RUNNING,
          Transition.TERMINATE, TERMINATED);

  static Stream<Arguments> everyStateAndTransition() {
    return Arrays.stream(State.values())
        .flatMap(state ->
            Arrays.stream(Transition.values()).map(transition -> Arguments.of(state, transition)));
  }

  @Test
  void theEnumHoldsExactlyTheDocumentedTable() {
    for (Transition transition : Transition.values()) {
      assertThat(transition.from()).as("from %s", transition).isEqualTo(ALLOWED.get(transition));
      assertThat(transition.target()).as("target %s", transition).isEqualTo(TARGET.get(transition));
    }
  }

  @Test
  void theTableCannotBeChangedFromOutside() {
    assertThatThrownBy(() -> Transition.START.from().add(COMPLETED))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void onlyCompletedAndTerminatedAreFinal() {
    assertThat(Arrays.stream(State.values()).filter(State::isFinal))
        .containsExactlyInAnyOrder(COMPLETED, TERMINATED);
  }

  @ParameterizedTest(name = "{1} from {0}")
  @MethodSource("everyStateAndTransition")
  void aTransitionIsAllowedExactlyFromTheStatesInTheTable(State from, Transition transition) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("probe"));
    List<String> hooksBefore = new ArrayList<>(system.journal());

    if (ALLOWED.get(transition).contains(from)) {
      Drive.apply(transition, system);

      assertThat(system.state()).isEqualTo(TARGET.get(transition));
      List<String> hooksRun = system.journal().subList(hooksBefore.size(), system.journal().size());
      assertThat(hooksRun)
          .isEqualTo(
              transition == Transition.DISABLE ? List.of() : List.of("probe." + transition.verb()));
    } else {
      assertThatThrownBy(() -> Drive.apply(transition, system))
          .isInstanceOf(IllegalTransitionException.class)
          .hasMessage("system=probe cannot " + transition.verb() + " from " + from);

      assertThat(system.state()).isEqualTo(from);
      assertThat(system.journal()).isEqualTo(hooksBefore);
    }
  }

  @Test
  void aRefusedTransitionSaysWhichSystemWhichTransitionAndFromWhere() {
    RecordingSystem system = Drive.into(COMPLETED, new RecordingSystem("processor"));

    assertThatThrownBy(system::start)
        .isInstanceOfSatisfying(
            IllegalTransitionException.class,
            refused -> {
              assertThat(refused).hasMessage("system=processor cannot start from COMPLETED");
              assertThat(refused.system()).isEqualTo("processor");
              assertThat(refused.from()).isEqualTo(COMPLETED);
              assertThat(refused.transition()).isEqualTo(Transition.START);
            })
        .isInstanceOf(IllegalStateException.class);
  }
}
