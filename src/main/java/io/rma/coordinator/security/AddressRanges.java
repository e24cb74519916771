package io.rma.coordinator.security;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of addresses and CIDR ranges ({@code 10.0.0.0/8, 127.0.0.1, fd00::/8}), written as
 * literals: nothing is resolved. Used for the proxies whose {@code X-Forwarded-For} is believed.
 */
public final class AddressRanges {
  private static final AddressRanges NONE = new AddressRanges(List.of());

  private record Range(byte[] network, int prefix) {
    boolean contains(byte[] a) {
      if (a.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (a[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Range> ranges;

  private AddressRanges(List<Range> ranges) {
    this.ranges = List.copyOf(ranges);
  }

  public static AddressRanges none() {
    return NONE;
  }

  /**
   * Parses a comma-separated list; blank means none.
   *
   * @throws IllegalArgumentException naming the first entry that is not an address or range
   */
  public static AddressRanges parse(String list) {
    List<Range> out = new ArrayList<>();
    if (list == null || list.isBlank()) {
      return NONE;
    }
    for (String raw : list.split(",")) {
      String entry = raw.strip();
      if (entry.isEmpty()) {
        continue;
      }
      int slash = entry.indexOf('/');
      String address = slash < 0 ? entry : entry.substring(0, slash);
      byte[] bytes =
          WorkerAddresses.literal(address)
              .map(InetAddress::getAddress)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "'" + entry + "' is not an IP address or CIDR range"));
      int prefix = bytes.length * 8;
      if (slash >= 0) {
        String p = entry.substring(slash + 1);
        if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > bytes.length * 8) {
          throw new IllegalArgumentException(
              "'" + entry + "': the prefix length must be 0 to " + bytes.length * 8);
        }
        prefix = Integer.parseInt(p);
      }
      out.add(new Range(bytes, prefix));
    }
    return new AddressRanges(out);
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    for (Range r : ranges) {
      if (r.contains(a)) {
        return true;
      }
    }
    return false;
  }
}
