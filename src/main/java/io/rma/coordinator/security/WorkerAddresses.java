package io.rma.coordinator.security;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The written shape of the addresses a worker gives ({@code ip_address}, the host of {@code
 * tunnel_url}), checked before anything is resolved: an IPv4 address as four decimal numbers from 0
 * to 255, an IPv6 address, or a DNS host name. Forms that resolvers read differently are refused
 * rather than guessed at: {@code 0177.0.0.1} is 127.0.0.1 to glibc and curl but 177.0.0.1 to Java,
 * {@code 127.1} is a shorthand, and {@code 999.1.1.1} or {@code 1.2.3.4.5} would be sent to DNS as
 * names. The SSRF guard ({@link EndpointPolicy}) then judges the addresses themselves.
 */
public final class WorkerAddresses {
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern HEX_GROUP = Pattern.compile("[0-9A-Fa-f]{1,4}");

  private WorkerAddresses() {}

  /** Why {@code host} is not an IPv4 address, an IPv6 address or a host name; empty when it is. */
  public static Optional<String> hostRefusal(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.of("it is empty");
    }
    if (!host.strip().equals(host)) {
      return Optional.of("it has spaces around it");
    }
    if (host.length() > 253) {
      return Optional.of("it is longer than 253 characters");
    }
    if (host.indexOf(':') == host.lastIndexOf(':')
        && host.indexOf(':') > 0
        && ipv4(host.substring(0, host.indexOf(':')).split("\\.", -1)) != null) {
      return Optional.of("'" + host + "' is an address with a port: give the port as \"port\"");
    }
    if (host.indexOf(':') >= 0 || host.startsWith("[")) {
      String bare =
          host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      return ipv6(bare) == null
          ? Optional.of("'" + host + "' is not an IPv6 address")
          : Optional.empty();
    }
    String[] labels = host.split("\\.", -1);
    if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
      // A name's last label is never all digits (RFC 3696): this is meant as an IPv4 address.
      return ipv4Refusal(host, labels);
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return Optional.of(
            "'"
                + host
                + "' is not a host name (labels of letters, digits and '-', joined by dots)");
      }
    }
    return Optional.empty();
  }

  /**
   * Why {@code url} is not a usable worker URL: an absolute {@code http} or {@code https} URL with
   * a host as {@link #hostRefusal} allows, a port from 1 to 65535 if any, no user info, query or
   * fragment. Empty when it is usable.
   */
  public static Optional<String> urlRefusal(String url) {
    if (url.chars().anyMatch(Character::isWhitespace)) {
      return Optional.of("it has spaces in it");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("not a URL (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null || uri.getRawAuthority() == null) {
      return Optional.of("not an absolute URL such as https://worker.example.com");
    }
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Optional.of("scheme " + scheme + " is not allowed: use http or https");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return Optional.of("a query or fragment is not allowed");
    }
    String authority = uri.getRawAuthority();
    if (authority.contains("@")) {
      return Optional.of("user info in worker URLs is not allowed");
    }
    String host = authority;
    String port = null;
    int close = authority.lastIndexOf(']');
    int colon = authority.lastIndexOf(':');
    if (colon > close && (authority.startsWith("[") || authority.indexOf(':') == colon)) {
      host = authority.substring(0, colon);
      port = authority.substring(colon + 1);
    }
    if (port != null) {
      if (!DIGITS.matcher(port).matches()
          || port.length() > 5
          || Integer.parseInt(port) < 1
          || Integer.parseInt(port) > 65535) {
        return Optional.of("port '" + port + "' is not a number from 1 to 65535");
      }
    }
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      return Optional.of(
          "an IPv6 host must be written in brackets, e.g. http://[2001:db8::1]:8000");
    }
    return hostRefusal(host);
  }

  /**
   * The address written as an IPv4 or IPv6 literal (brackets allowed), without any name lookup;
   * empty when it is not one. An IPv6 zone ({@code %eth0}) is dropped.
   */
  public static Optional<InetAddress> literal(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    String s =
        text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    int zone = s.indexOf('%');
    if (zone >= 0 && s.indexOf(':') >= 0) {
      s = s.substring(0, zone);
    }
    byte[] bytes = s.indexOf(':') >= 0 ? ipv6(s) : ipv4(s.split("\\.", -1));
    if (bytes == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByAddress(bytes));
    } catch (UnknownHostException e) {
      return Optional.empty(); // only for a wrong length, which the parsers never give
    }
  }

  private static Optional<String> ipv4Refusal(String host, String[] parts) {
    if (parts.length != 4) {
      return Optional.of("'" + host + "' is not an IPv4 address (four numbers from 0 to 255)");
    }
    for (String p : parts) {
      if (!DIGITS.matcher(p).matches()) {
        return Optional.of("'" + host + "' is not an IPv4 address (four numbers from 0 to 255)");
      }
      if (p.length() > 1 && p.charAt(0) == '0') {
        return Optional.of(
            "'"
                + host
                + "' has a number with a leading zero, which some resolvers read as octal: write"
                + " it in plain decimal");
      }
      if (p.length() > 3 || Integer.parseInt(p) > 255) {
        return Optional.of("'" + host + "' is not an IPv4 address: " + p + " is above 255");
      }
    }
    return Optional.empty();
  }

  private static byte[] ipv4(String[] parts) {
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (!DIGITS.matcher(p).matches()
          || p.length() > 3
          || (p.length() > 1 && p.charAt(0) == '0')
          || Integer.parseInt(p) > 255) {
        return null;
      }
      b[i] = (byte) Integer.parseInt(p);
    }
    return b;
  }

  /** The 16 bytes of an IPv6 literal (no brackets, no zone), or null. */
  private static byte[] ipv6(String s) {
    if (s.isEmpty() || s.indexOf('%') >= 0) {
      return null;
    }
    int gap = s.indexOf("::");
    if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap >= 0 ? s.substring(0, gap) : s;
    String tail = gap >= 0 ? s.substring(gap + 2) : "";
    byte[] headBytes = groups(head, gap < 0);
    byte[] tailBytes = groups(tail, true);
    if (headBytes == null || tailBytes == null) {
      return null;
    }
    int total = headBytes.length + tailBytes.length;
    if ((gap < 0 && total != 16) || (gap >= 0 && total > 14)) {
      return null;
    }
    byte[] out = new byte[16];
    System.arraycopy(headBytes, 0, out, 0, headBytes.length);
    System.arraycopy(tailBytes, 0, out, 16 - tailBytes.length, tailBytes.length);
    return out;
  }

  /** Colon-separated hex groups; the last may be a dotted IPv4 address when {@code last}. */
  private static byte[] groups(String s, boolean last) {
    if (s.isEmpty()) {
      return new byte[0];
    }
    String[] parts = s.split(":", -1);
    byte[] out = new byte[parts.length * 2 + 2];
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (last && i == parts.length - 1 && p.indexOf('.') >= 0) {
        byte[] v4 = ipv4(p.split("\\.", -1));
        if (v4 == null) {
          return null;
        }
        System.arraycopy(v4, 0, out, n, 4);
        n += 4;
      } else if (HEX_GROUP.matcher(p).matches()) {
        int v = Integer.parseInt(p, 16);
        out[n++] = (byte) (v >> 8);
        out[n++] = (byte) v;
      } else {
        return null;
      }
    }
    byte[] trimmed = new byte[n];
    System.arraycopy(out, 0, trimmed, 0, n);
    return trimmed;
  }
}
