package io.rma.coordinator.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.rma.coordinator.security.AddressRanges;
import io.rma.coordinator.security.WorkerAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The address a request came from: the connection's peer, or, when that peer is one of the trusted
 * proxies ({@code RMA_TRUSTED_PROXIES}), the nearest address in {@code X-Forwarded-For} that is not
 * itself a trusted proxy. Without trusted proxies the header is never read, so a client cannot name
 * its own address.
 */
public final class ClientAddress {
  private static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");

  private final AddressRanges trusted;

  public ClientAddress(AddressRanges trusted) {
    this.trusted = trusted;
  }

  public InetAddress of(ServerRequest req) {
    String peerText = HelidonExchange.client(req);
    InetAddress peer =
        WorkerAddresses.literal(peerText)
            .orElseThrow(
                () -> ApiException.badRequest("the connection's address is unknown: " + peerText));
    if (trusted.isEmpty() || !trusted.contains(peer)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String value : req.headers().all(X_FORWARDED_FOR, List::of)) {
      for (String hop : value.split(",")) {
        hops.add(hop.strip());
      }
    }
    InetAddress client = peer;
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = hops.get(i);
      client =
          WorkerAddresses.literal(hop)
              .orElseThrow(
                  () ->
                      ApiException.badRequest(
                          "X-Forwarded-For from the trusted proxy "
                              + peer.getHostAddress()
                              + " holds '"
                              + abbreviate(hop)
                              + "', which is not an IP address"));
      if (!trusted.contains(client)) {
        return client;
      }
    }
    return client;
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }
}
