package io.rma.coordinator.http;

import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.WorkerView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pool counted once, for the admin answers, the root answers and the metrics: by tier (index 0
 * = no tier yet) and phase, services of live workers, load of live workers, tasks completed.
 */
final class PoolCounts {
  private final int[][] byTierPhase = new int[4][WorkerPhase.values().length];
  private final double[] loadSum = new double[4];
  private final int[] loadCount = new int[4];
  private final Map<String, Integer> services = new TreeMap<>();
  private long tasks;

  private PoolCounts() {}

  static PoolCounts of(List<WorkerView> all) {
    PoolCounts c = new PoolCounts();
    for (WorkerView v : all) {
      RMAWorkerStatus s = v.worker().getStatus();
      int tier = tierIndex(s);
      c.byTierPhase[tier][v.phase().ordinal()]++;
      if (s != null && s.getTasksCompleted() != null) {
        c.tasks += s.getTasksCompleted();
      }
      if (v.phase() != WorkerPhase.Offline) {
        v.services().forEach(name -> c.services.merge(name, 1, Integer::sum));
        if (v.load() != null) {
          c.loadSum[tier] += v.load();
          c.loadCount[tier]++;
        }
      }
    }
    return c;
  }

  /** 1-3 for tiers 1-3, 0 for a worker the loop has not tiered yet. */
  static int tierIndex(RMAWorkerStatus s) {
    Integer tier = s == null ? null : s.getTier();
    return tier != null && tier >= 1 && tier <= 3 ? tier : 0;
  }

  int of(int tier, WorkerPhase phase) {
    return byTierPhase[tier][phase.ordinal()];
  }

  /** Workers of tier 1-3, whatever their phase. */
  int tier(int tier) {
    int n = 0;
    for (int count : byTierPhase[tier]) {
      n += count;
    }
    return n;
  }

  int phase(WorkerPhase phase) {
    int n = 0;
    for (int[] tier : byTierPhase) {
      n += tier[phase.ordinal()];
    }
    return n;
  }

  /** Workers that are not Offline (the original's "active"). */
  int active() {
    int n = 0;
    for (WorkerPhase p : WorkerPhase.values()) {
      if (p != WorkerPhase.Offline) {
        n += phase(p);
      }
    }
    return n;
  }

  /** Average reported load of the live workers of {@code tier} (0: all tiers), 3 decimals. */
  double averageLoad(int tier) {
    double sum = 0;
    int count = 0;
    for (int t = 0; t < 4; t++) {
      if (tier == 0 || t == tier) {
        sum += loadSum[t];
        count += loadCount[t];
      }
    }
    return count == 0 ? 0.0 : Math.round(sum / count * 1000) / 1000.0;
  }

  Map<String, Integer> byPhase() {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (WorkerPhase p : WorkerPhase.values()) {
      out.put(p.name(), phase(p));
    }
    return out;
  }

  /** {@code {"1": {"Healthy": n, ...}, "2": ..., "3": ..., "none": ...}}. */
  Map<String, Map<String, Integer>> byTierAndPhase() {
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    for (int t : new int[] {1, 2, 3, 0}) {
      Map<String, Integer> phases = new LinkedHashMap<>();
      for (WorkerPhase p : WorkerPhase.values()) {
        phases.put(p.name(), of(t, p));
      }
      out.put(t == 0 ? "none" : String.valueOf(t), phases);
    }
    return out;
  }

  /** {@code {"1": n, "2": n, "3": n}}: registered workers by tier. */
  Map<String, Integer> byTier() {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int t = 1; t <= 3; t++) {
      out.put(String.valueOf(t), tier(t));
    }
    return out;
  }

  Map<String, Integer> byService() {
    return services;
  }

  long tasksCompleted() {
    return tasks;
  }
}
