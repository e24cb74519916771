package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.Capabilities;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Decides a worker's tier from what it reported: 1 = GPU with enough GPU memory, 2 = enough RAM and
 * cores for CPU services, 3 = everything else. Unknown sizes never count towards a threshold.
 */
public final class TierPolicy {
  public static final int GPU = 1;
  public static final int CPU = 2;
  public static final int SMALL = 3;

  private static final Set<String> NO_GPU = Set.of("", "none", "null", "n/a", "no", "false", "0");

  private final Thresholds thresholds;

  /** Thresholds of the tier rules; the defaults are those of the original service. */
  public record Thresholds(double gpuMemoryGib, double ramGib, int cpuCores) {
    public static Thresholds defaults() {
      return new Thresholds(8, 4, 2);
    }
  }

  public TierPolicy(Thresholds thresholds) {
    this.thresholds = thresholds;
  }

  public int tier(Capabilities c) {
    if (c == null) {
      return SMALL;
    }
    if (hasGpu(c.getGpuType())
        && atLeast(CapacityParser.gib(c.getGpuMemory()), thresholds.gpuMemoryGib())) {
      return GPU;
    }
    int cores = c.getCpuCores() == null ? 0 : c.getCpuCores();
    if (cores >= thresholds.cpuCores()
        && atLeast(CapacityParser.gib(c.getRam()), thresholds.ramGib())) {
      return CPU;
    }
    return SMALL;
  }

  private static boolean hasGpu(String gpuType) {
    // Agents that detect GPU memory but not the model send no gpu_type; memory decides then.
    return gpuType == null || !NO_GPU.contains(gpuType.trim().toLowerCase(Locale.ROOT));
  }

  private static boolean atLeast(OptionalDouble value, double threshold) {
    return value.isPresent() && value.getAsDouble() >= threshold;
  }
}
