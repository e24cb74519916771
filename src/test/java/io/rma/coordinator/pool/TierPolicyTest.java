package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.Capabilities;
import org.junit.jupiter.api.Test;

class TierPolicyTest {
  private final TierPolicy tiers = new TierPolicy(TierPolicy.Thresholds.defaults());

  private static Capabilities caps(Integer cores, String ram, String gpuType, String gpuMemory) {
    Capabilities c = new Capabilities();
    c.setCpuCores(cores);
    c.setRam(ram);
    c.setGpuType(gpuType);
    c.setGpuMemory(gpuMemory);
    return c;
  }

  @Test
  void gpuWithAtLeastEightGibIsTierOne() {
    assertThat(tiers.tier(caps(8, "31.2GB", "NVIDIA RTX 4090", "24564MB"))).isEqualTo(1);
    assertThat(tiers.tier(caps(8, "31.2GB", "RTX 3070", "8192MB"))).isEqualTo(1);
    assertThat(tiers.tier(caps(1, "1GB", "A100", "80 GiB"))).isEqualTo(1);
  }

  @Test
  void gpuWithLessThanEightGibIsNotTierOne() {
    assertThat(tiers.tier(caps(8, "31.2GB", "RTX", "4096MB"))).isEqualTo(2);
    assertThat(tiers.tier(caps(8, "31.2GB", "RTX", "8191MB"))).isEqualTo(2);
  }

  @Test
  void gpuMemoryWithoutAGpuDoesNotMakeTierOne() {
    assertThat(tiers.tier(caps(8, "16GB", "None", "24GB"))).isEqualTo(2);
  }

  @Test
  void gpuMemoryWithoutAGpuTypeCounts() {
    assertThat(tiers.tier(caps(8, "16GB", null, "24GB"))).isEqualTo(1);
  }

  @Test
  void fourGibAndTwoCoresIsTierTwo() {
    assertThat(tiers.tier(caps(2, "4GB", null, null))).isEqualTo(2);
    assertThat(tiers.tier(caps(2, "4096MB", null, null))).isEqualTo(2);
  }

  @Test
  void lessRamOrFewerCoresIsTierThree() {
    assertThat(tiers.tier(caps(2, "3.8GB", null, null))).isEqualTo(3);
    assertThat(tiers.tier(caps(1, "64GB", null, null))).isEqualTo(3);
  }

  @Test
  void unknownSizesNeverReachAThreshold() {
    assertThat(tiers.tier(caps(4, "Unknown (AMD)", "Unknown (AMD)", "Unknown (AMD)"))).isEqualTo(3);
    assertThat(tiers.tier(caps(null, null, null, null))).isEqualTo(3);
    assertThat(tiers.tier(null)).isEqualTo(3);
  }

  @Test
  void thresholdsAreConfigurable() {
    TierPolicy strict = new TierPolicy(new TierPolicy.Thresholds(16, 8, 4));
    assertThat(strict.tier(caps(8, "31.2GB", "RTX 3080", "10GB"))).isEqualTo(2);
    assertThat(strict.tier(caps(2, "31.2GB", null, null))).isEqualTo(3);
  }
}
