package io.rma.coordinator.security;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which addresses the coordinator may call as a worker endpoint (the SSRF guard). Checked when a
 * worker registers and again before every call, since DNS can change in between.
 *
 * <ul>
 *   <li>only {@code http} and {@code https}, no user info;
 *   <li>never the unspecified address ({@code 0.0.0.0}, {@code ::}), link-local addresses ({@code
 *       169.254.0.0/16}, {@code fe80::/10}, which hold the cloud metadata services), {@code
 *       fd00:ec2::254}, multicast or broadcast;
 *   <li>loopback and private ranges ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}, {@code
 *       100.64/10}, {@code fc00::/7}) only when configured (allowed by default, for the standalone
 *       quick-start where workers run on the same box or LAN).
 * </ul>
 */
public final class EndpointPolicy {
  private static final byte[] EC2_METADATA_V6 = {
    (byte) 0xfd, 0x00, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54
  };

  private final boolean allowLoopback;
  private final boolean allowPrivate;
  private final Resolver resolver;

  /** Name resolution, replaceable in tests. */
  @FunctionalInterface
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;

    Resolver SYSTEM = host -> Arrays.asList(InetAddress.getAllByName(host));
  }

  public EndpointPolicy(boolean allowLoopback, boolean allowPrivate, Resolver resolver) {
    this.allowLoopback = allowLoopback;
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
  }

  /** The host's addresses, by this policy's resolver (brackets around IPv6 literals allowed). */
  public List<InetAddress> resolve(String host) throws UnknownHostException {
    return resolver.resolve(stripBrackets(host));
  }

  /** Why the URL may not be called, or empty when it may; unresolvable hosts are refused. */
  public Optional<String> refusal(URI url) {
    Optional<String> shape = shapeRefusal(url);
    if (shape.isPresent()) {
      return shape;
    }
    try {
      return addressesRefusal(url.getHost(), resolver.resolve(stripBrackets(url.getHost())));
    } catch (UnknownHostException e) {
      return Optional.of("host " + url.getHost() + " does not resolve");
    }
  }

  /** Checks scheme, user info and host without resolving names. */
  public Optional<String> shapeRefusal(URI url) {
    if (url == null || url.getScheme() == null) {
      return Optional.of("not an absolute URL");
    }
    String scheme = url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Optional.of("scheme " + scheme + " is not allowed: use http or https");
    }
    if (url.getRawUserInfo() != null) {
      return Optional.of("user info in worker URLs is not allowed");
    }
    if (url.getHost() == null || url.getHost().isBlank()) {
      return Optional.of("the URL has no host");
    }
    return Optional.empty();
  }

  /** Why a host (already resolved to {@code addresses}) may not be called; every address counts. */
  public Optional<String> addressesRefusal(String host, List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      return Optional.of("host " + host + " has no address");
    }
    for (InetAddress a : addresses) {
      Optional<String> why = addressRefusal(a);
      if (why.isPresent()) {
        return Optional.of(
            host
                + (host.equals(a.getHostAddress()) ? "" : " resolves to " + a.getHostAddress())
                + ": "
                + why.get());
      }
    }
    return Optional.empty();
  }

  public Optional<String> addressRefusal(InetAddress a) {
    if (a.isAnyLocalAddress()) {
      return Optional.of("the unspecified address is never a worker");
    }
    if (a.isLinkLocalAddress() || Arrays.equals(a.getAddress(), EC2_METADATA_V6)) {
      return Optional.of("link-local and cloud metadata addresses are never called");
    }
    if (a.isMulticastAddress() || isBroadcast(a)) {
      return Optional.of("multicast and broadcast addresses are never called");
    }
    if (a.isLoopbackAddress()) {
      return allowLoopback
          ? Optional.empty()
          : Optional.of("loopback workers are not allowed (RMA_ALLOW_LOOPBACK_WORKERS=false)");
    }
    if (isPrivate(a)) {
      return allowPrivate
          ? Optional.empty()
          : Optional.of("private-range workers are not allowed (RMA_ALLOW_PRIVATE_WORKERS=false)");
    }
    return Optional.empty();
  }

  private static boolean isPrivate(InetAddress a) {
    if (a.isSiteLocalAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      // 100.64.0.0/10, carrier-grade NAT (and Tailscale).
      return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
    }
    // fc00::/7, unique local addresses.
    return a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc;
  }

  private static boolean isBroadcast(InetAddress a) {
    byte[] b = a.getAddress();
    return a instanceof Inet4Address
        && (b[0] & 0xff) == 255
        && (b[1] & 0xff) == 255
        && (b[2] & 0xff) == 255
        && (b[3] & 0xff) == 255;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
