package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CapacityParserTest {
  private static final double GIB = 1024.0 * 1024 * 1024;

  @ParameterizedTest
  @CsvSource({
    "24564MB, 23.98828125",
    "31.2GB, 31.2",
    "16 GiB, 16",
    "1TB, 1024",
    "4096MB, 4",
    "3.8GB, 3.8",
    "8192 MiB, 8",
    "512, 512",
    "16, 16",
    "2048K, 0.001953125",
    "16g, 16",
    "1.5 tib, 1536",
  })
  void readsSizesWithRealUnits(String reported, double expectedGib) {
    assertThat(CapacityParser.gib(reported)).hasValueCloseTo(expectedGib, within());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Unknown (AMD)", "N/A", "", "  ", "GB", "-4GB", "4 XB", "lots", "1e9GB"})
  void unknownSizesAreUnknownNotErrors(String reported) {
    assertThat(CapacityParser.bytes(reported)).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void nullIsUnknown() {
    assertThat(CapacityParser.bytes(null)).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void bytesSuffixMeansBytes() {
    assertThat(CapacityParser.bytes("512B")).hasValue(512);
    assertThat(CapacityParser.bytes("1KB")).hasValue(1024);
    assertThat(CapacityParser.bytes("1GB").getAsLong() / GIB).isEqualTo(1.0);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }
}
