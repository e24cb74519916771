package io.rma.coordinator.http;

import io.helidon.common.socket.PeerInfo;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An {@link Exchange} over Helidon's request and response. */
public record HelidonExchange(ServerRequest req, ServerResponse res) implements Exchange {
  /** The whole path: inside a service registered under a prefix, {@code path()} is relative. */
  @Override
  public String path() {
    return req.path().absolute().path();
  }

  @Override
  public Optional<String> header(String name) {
    return req.headers().first(HeaderNames.create(name));
  }

  @Override
  public List<String> headers(String name) {
    return req.headers().all(HeaderNames.create(name), List::of);
  }

  @Override
  public Map<String, List<String>> query() {
    return req.query().isEmpty() ? Map.of() : req.query().toMap();
  }

  @Override
  public String client() {
    return client(req);
  }

  /** The client's address: the connection's peer (a proxy's, behind a proxy). */
  public static String client(ServerRequest req) {
    return address(req.remotePeer());
  }

  /** A peer's IP address as text (its host name only when it has no address). */
  public static String address(PeerInfo peer) {
    if (peer.address() instanceof InetSocketAddress a && a.getAddress() != null) {
      return a.getAddress().getHostAddress();
    }
    return peer.host();
  }

  @Override
  public void send(int status, String contentType, Map<String, String> headers, byte[] body) {
    head(status, contentType, headers);
    res.send(body);
  }

  @Override
  public OutputStream stream(int status, String contentType, Map<String, String> headers) {
    head(status, contentType, headers);
    return res.outputStream();
  }

  @Override
  public OutputStream fixed(
      int status, String contentType, Map<String, String> headers, long length) {
    head(status, contentType, headers);
    res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(length));
    return res.outputStream();
  }

  private void head(int status, String contentType, Map<String, String> headers) {
    res.status(status(status));
    if (contentType != null) {
      res.header(HeaderNames.CONTENT_TYPE, contentType);
    }
    // A value holding line ends is several header lines (Set-Cookie cannot be joined with commas).
    headers.forEach(
        (name, value) ->
            res.header(
                HeaderNames.create(name),
                value.indexOf('\n') < 0 ? new String[] {value} : value.split("\n")));
  }

  /** A status with its reason phrase (Helidon 4.5 has none for 431). */
  static Status status(int code) {
    return code == 431
        ? Status.create(431, "Request Header Fields Too Large")
        : Status.create(code);
  }
}
