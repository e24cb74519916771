package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.Condition;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the worker's conditions from its phase, keeping {@code lastTransitionTime} when a
 * condition's status did not change, so the status only changes when something happened.
 */
public final class ConditionAggregator {
  public static final String READY = "Ready";

  private ConditionAggregator() {}

  public static List<Condition> conditions(
      List<Condition> previous, WorkerPhase phase, long generation, Instant now) {
    Condition ready =
        switch (phase) {
          case Healthy ->
              new Condition(READY, Condition.TRUE, "HeartbeatReceived", "worker reports healthy");
          case Degraded ->
              new Condition(
                  READY, Condition.FALSE, "WorkerDegraded", "worker reports degraded health");
          case Draining ->
              new Condition(READY, Condition.FALSE, "Draining", "drain requested: no new work");
          case Offline ->
              new Condition(
                  READY,
                  Condition.FALSE,
                  "HeartbeatMissed",
                  "no heartbeat within the offline window");
        };
    ready.setObservedGeneration(generation);
    Condition before = find(previous, READY);
    ready.setLastTransitionTime(
        before != null
                && before.getStatus().equals(ready.getStatus())
                && before.getLastTransitionTime() != null
            ? before.getLastTransitionTime()
            : now.toString());
    List<Condition> out = new ArrayList<>();
    out.add(ready);
    if (previous != null) {
      previous.stream().filter(c -> !READY.equals(c.getType())).forEach(out::add);
    }
    return out;
  }

  private static Condition find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return null;
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }
}
