package io.rma.coordinator.pool;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the sizes worker agents report ({@code "24564MB"}, {@code "31.2GB"}, {@code "16 GiB"},
 * {@code "1TB"}, {@code "512"}) into bytes.
 *
 * <p>Units are binary whichever way they are spelled: agents take these numbers from nvidia-smi,
 * free and psutil, which print MiB and GiB and label them MB and GB. Reading {@code "8GB"} as
 * decimal would make an 8 GiB card miss the 8 GiB tier-1 threshold. A bare number is GiB, as the
 * original service read it. Anything else ({@code "Unknown (AMD)"}, {@code "N/A"}) is unknown, not
 * an error.
 */
public final class CapacityParser {
  private static final Pattern SIZE =
      Pattern.compile(
          "^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?b?)\\s*$", Pattern.CASE_INSENSITIVE);
  private static final long MAX_BYTES = Long.MAX_VALUE / 2;

  private CapacityParser() {}

  /** Bytes for a reported size, or empty when the text does not state a size. */
  public static OptionalLong bytes(String reported) {
    if (reported == null) {
      return OptionalLong.empty();
    }
    Matcher m = SIZE.matcher(reported);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    String prefix = m.group(2).toLowerCase(Locale.ROOT);
    String suffix = m.group(3).toLowerCase(Locale.ROOT);
    if (prefix.isEmpty() && suffix.equals("i")) {
      return OptionalLong.empty();
    }
    int power =
        switch (prefix) {
          case "k" -> 1;
          case "m" -> 2;
          case "g" -> 3;
          case "t" -> 4;
          case "p" -> 5;
          // A bare number is GiB; "512B" is bytes.
          default -> suffix.isEmpty() ? 3 : 0;
        };
    double value = Double.parseDouble(m.group(1));
    double bytes = value * Math.pow(1024, power);
    if (!Double.isFinite(bytes) || bytes > MAX_BYTES) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.round(bytes));
  }

  /** GiB for a reported size, or empty when unknown. */
  public static OptionalDouble gib(String reported) {
    OptionalLong b = bytes(reported);
    return b.isPresent()
        ? OptionalDouble.of(b.getAsLong() / (1024.0 * 1024 * 1024))
        : OptionalDouble.empty();
  }
}
