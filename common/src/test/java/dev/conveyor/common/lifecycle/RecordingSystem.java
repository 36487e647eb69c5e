package dev.conveyor.common.lifecycle;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A leaf system whose hooks write to a journal and fail on demand. */
final class RecordingSystem extends Lifecycle {
  private final List<String> journal;
  private final HookScript script;

  RecordingSystem(String name) {
    this(name, new CopyOnWriteArrayList<>());
  }

  RecordingSystem(String name, List<String> journal) {
    super(name);
    this.journal = journal;
    this.script = new HookScript(journal);
  }

  RecordingSystem failingOn(Transition transition, Exception failure) {
    script.plant(transition, failure);
    return this;
  }

  List<String> journal() {
    return journal;
  }

  @Override
  protected void onActivate() throws Exception {
    script.run(name(), Transition.ACTIVATE);
  }

  @Override
  protected void onEnable() throws Exception {
    script.run(name(), Transition.ENABLE);
  }

  @Override
  protected void onStart() throws Exception {
    script.run(name(), Transition.START);
  }

  @Override
  protected void onComplete() throws Exception {
    script.run(name(), Transition.COMPLETE);
  }

  @Override
  protected void onSuspend() throws Exception {
    script.run(name(), Transition.SUSPEND);
  }

  @Override
  protected void onResume() throws Exception {
    script.run(name(), Transition.RESUME);
  }

  @Override
  protected void onTerminate() throws Exception {
    script.run(name(), Transition.TERMINATE);
  }
}
