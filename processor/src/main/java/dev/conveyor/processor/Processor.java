package dev.conveyor.processor;

import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PeriodicTask;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.lifecycle.CompositeLifecycle;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.runtime.console.Console;
import dev.conveyor.runtime.console.ConsoleSources;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskEvents;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.QuartzTables;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.resource.MappedResource;
import dev.conveyor.runtime.resource.ResourceException;
import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.work.JavaStepWork;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.command.CommandWork;
import io.micrometer.core.instrument.DistributionSummary;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Daemon 2: runs the steps of every loaded pipeline as chained Quartz jobs and delivers rows.
 * Subsystems: http, redis, postgres, steps (one optional subsystem per step), scheduler, heartbeat.
 */
public final class Processor extends Daemon {
  private final ProcessorConfig config;
  private final RedisSubsystem redis;
  // why: one for all steps, so that a failing events write is logged once, not once per step
  private final TaskEvents taskEvents;
  private final PostgresSubsystem postgres;
  private final List<StepSubsystem> steps = new ArrayList<>();
  private final Clock clock = Clock.systemUTC();
  private final SharedResources resources = new SharedResources();
  private final ColocatedSteps colocated;
  private static final Duration STEP_SYNC_INTERVAL = Duration.ofSeconds(5);
  // why: the share follows the heartbeats (a beat every 5 s), so recounting it more often learns
  // nothing; it no longer follows the check-in, which is shorter now for a quick failover
  private static final Duration SHARE_RECOUNT_INTERVAL = Duration.ofSeconds(5);
  private final StepScheduler scheduler;
  private final ChainShare share;
  private StepControl stepControl;
  private StepReload stepReload;
  // why: set before the subsystems are suspended, so that a step sync under way leaves them so
  private volatile boolean suspended;

  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  public Processor(ProcessorConfig config) {
    super("processor", config.common(), EnumSet.of(Service.REDIS, Service.POSTGRES));
    this.config = config;
    this.colocated = new ColocatedSteps(config.colocatedSteps());
    String node = config.common().nodeId();
    int threads = config.effectiveThreads();
    route("POST", "/steps/*", request -> stepControl.handle(request), true);
    route("POST", "/reload", request -> stepReload.handle(request), true);
    new Console("processor", node, this::consoleSources, Clock.systemUTC()).register(this::route);
    addHttp();
    redis =
        add(
            new RedisSubsystem(
                "redis",
                config.common().redis(),
                Endpoint.RUNTIME,
                "processor-" + node,
                threads + 4,
                threads));
    taskEvents = new TaskEvents(redis::commands, keys(), config.common().taskEventsMaxLen());
    postgres =
        add(
            new PostgresSubsystem(
                config.common().pg(), "processor-" + node, threads + 2, serviceWatch(), metrics()));
    CompositeLifecycle stepGroup = add(new CompositeLifecycle("steps"));
    for (Pipeline pipeline : config.pipelines().all()) {
      for (StepDef step : pipeline.topologicalOrder()) {
        steps.add(stepGroup.addOptional(new StepSubsystem(pipeline, step, this::runnerFor)));
      }
    }
    share =
        new ChainShare(
            new QuartzTables(postgres::dataSource), redis::commands, keys(), node, clock);
    scheduler =
        add(
            new StepScheduler(
                config.common().pg(),
                node,
                threads,
                config.clusterCheckin(),
                config.clusterFailureGrace(),
                this::chains,
                this::drained,
                share,
                serviceWatch(),
                metrics()));
    stepControl = new StepControl(steps, scheduler::quartz, () -> !suspended);
    add(new PeriodicTask("step-sync", STEP_SYNC_INTERVAL, stepControl::sync, serviceWatch()));
    stepReload = new StepReload(steps);
    if (config.reloadCheck().isPositive()) {
      add(
          new PeriodicTask(
              "step-reload", config.reloadCheck(), stepReload::checkAll, serviceWatch()));
    }
    add(new PeriodicTask("chain-share", SHARE_RECOUNT_INTERVAL, share::refresh, serviceWatch()));
    addHeartbeat(redis);
  }

  @Override
  protected void onSuspend() {
    suspended = true;
  }

  @Override
  protected void onResume() {
    suspended = false;
  }

  private StepRunner runnerFor(StepSubsystem s) {
    StepWork work =
        switch (s.step().kind()) {
          case SINK -> {
            try {
              yield new SinkWork(
                  postgres.dataSource(), SinkTable.resolve(postgres.dataSource(), s.step().sink()));
            } catch (SinkTable.SinkTableException e) {
              throw new IllegalStateException(e.getMessage(), e);
            }
          }
          case JAVA -> {
            JavaStepWork java = new JavaStepWork(s.pipeline(), s.step(), resourcesFor(s));
            java.start();
            yield java;
          }
          case COMMAND -> {
            CommandWork command = CommandWork.of(s.pipeline(), s.step());
            DistributionSummary requests =
                DistributionSummary.builder("conveyor_command_batch_request_items")
                    .description("items per batch request sent to a command step's worker")
                    .tags("pipeline", s.pipeline().name(), "step", s.step().name())
                    .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                    .register(metrics());
            command.observeBatches(requests::record);
            command.start();
            s.command(command);
            yield command;
          }
        };
    StepLedger ledger = new StepLedger(redis.commands(), keys(), clock);
    StepMeters meters = StepMeters.of(metrics(), s.pipeline().name(), s.step().name());
    // why: a co-located run that puts an item in this step's retry set ends the step's idle wait
    AtomicBoolean retryNotice = new AtomicBoolean();
    StepBatch batch =
        new StepBatch(
            s.pipeline(),
            s.step(),
            ledger,
            new CheckedOutputs(work, config.maxOutputBytes()),
            new TaskCompletion(
                new TaskFinishing(redis.commands(), keys()),
                new TaskAuditRepository(postgres.dataSource()),
                clock,
                metrics(),
                taskEvents),
            new DeadLetters(ledger, new DeadItemRepository(postgres.dataSource()), clock),
            clock,
            meters,
            colocated,
            () -> retryNotice.set(true));
    StepRunner runner =
        new StepRunner(
            s.pipeline(),
            s.step(),
            shard ->
                new StreamGroup(
                    redis.blocking(),
                    keys().stepQueue(s.pipeline().name(), s.step().name(), shard),
                    Keys.PROCESSOR_GROUP),
            ledger,
            batch,
            config.common().redis().block(),
            clock,
            meters.tick(),
            retryNotice);
    colocated.register(s, batch, runner);
    s.onClose(() -> colocated.unregister(s, batch));
    return runner;
  }

  /**
   * The step's resources, mapped once per JVM and shared; the handles close with the step. A
   * missing file makes the step DISABLED with the reason.
   */
  private Map<String, StepContext.SharedResource> resourcesFor(StepSubsystem s) {
    Map<String, StepContext.SharedResource> handles = new LinkedHashMap<>();
    try {
      for (String name : s.step().resources()) {
        MappedResource r = resources.acquire(name, s.pipeline().resources().get(name));
        s.onClose(r::close);
        handles.put(name, r);
      }
    } catch (ResourceException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return handles;
  }

  private StepChains chains() {
    List<StepRunner> runners = new ArrayList<>();
    for (StepSubsystem s : steps) {
      if (s.state() == State.READY || s.state() == State.RUNNING) {
        runners.add(s.runner());
      }
    }
    return new StepChains(
        runners, Set.copyOf(config.pipelines().names()), clock, serviceWatch(), share::limit);
  }

  /** Whether a chain's queue holds nothing: nothing waiting, pending or due for a retry. */
  private boolean drained(ChainKey key) {
    return new StepLedger(redis.commands(), keys(), clock)
        .queueDrained(key.pipeline(), key.step(), key.shard());
  }

  @Override
  protected Map<String, Object> statusDetails() {
    Map<String, Object> stepStates = new LinkedHashMap<>();
    for (StepSubsystem s : steps) {
      stepStates.put(s.pipeline().name() + "." + s.step().name(), s.state().name());
    }
    int limit = share.limit();
    return Map.of(
        "pipelines",
        config.pipelines().names(),
        "steps",
        stepStates,
        "chain_share",
        limit == Integer.MAX_VALUE ? "unlimited" : limit);
  }

  /**
   * What the console at {@code /ui} reads; throws while the subsystems are not ready. The inbox's
   * lag only when the inbox is on the runtime Redis: the processor has no client of another.
   */
  private ConsoleSources consoleSources() {
    return new ConsoleSources(
        config.pipelines(),
        keys(),
        redis.commands(),
        config.common().redis().inboxElsewhere() ? Optional.empty() : Optional.of(redis.commands()),
        postgres.dataSource());
  }
}
