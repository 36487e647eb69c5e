package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleSnapshotTest {

  @Test
  void aLeafSnapshotHasNameStateReasonAndNoChildren() {
    RecordingSystem ner = new RecordingSystem("ner");
    ner.disable("model file missing");

    assertThat(ner.snapshot())
        .isEqualTo(new LifecycleSnapshot("ner", State.DISABLED, "model file missing", List.of()));
  }

  @Test
  void aCompositeSnapshotIncludesItsChildrenInOrder() {
    CompositeLifecycle processor = new CompositeLifecycle("processor");
    processor.add(new RecordingSystem("redis"));
    processor.addOptional(
        new RecordingSystem("ner")
            .failingOn(Transition.ACTIVATE, new IllegalStateException("model file missing")));
    processor.activate();

    assertThat(processor.snapshot())
        .isEqualTo(
            new LifecycleSnapshot(
                "processor",
                State.READY,
                null,
                List.of(
                    new LifecycleSnapshot("redis", State.READY, null, List.of()),
                    new LifecycleSnapshot(
                        "ner", State.DISABLED, "model file missing", List.of()))));
  }

  @Test
  void aSnapshotDoesNotChangeWithTheSystemOrItsSource() {
    RecordingSystem redis = new RecordingSystem("redis");
    LifecycleSnapshot before = redis.snapshot();
    List<LifecycleSnapshot> children = new ArrayList<>();
    LifecycleSnapshot copied = new LifecycleSnapshot("x", State.READY, null, children);

    redis.activate();
    children.add(before);

    assertThat(before.state()).isEqualTo(State.INITIAL);
    assertThat(copied.children()).isEmpty();
    assertThatThrownBy(() -> copied.children().add(before))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aSnapshotSerialisesToJsonForTheStatusEndpoint() throws Exception {
    CompositeLifecycle processor = new CompositeLifecycle("processor");
    processor.add(new RecordingSystem("redis"));
    processor.disable("maintenance");

    String json = new ObjectMapper().writeValueAsString(processor.snapshot());

    assertThat(json)
        .isEqualTo(
            "{\"name\":\"processor\",\"state\":\"DISABLED\",\"reason\":\"maintenance\","
                + "\"children\":[{\"name\":\"redis\",\"state\":\"INITIAL\",\"reason\":null,"
                + "\"children\":[]}]}");
  }
}
