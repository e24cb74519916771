package io.rma.coordinator.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.DirectHandler;
import io.helidon.http.RequestException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.ServerConnectionException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * A connection as Helidon's HTTP/1.1 code sees it, whose reader refuses a request line whose method
 * is not upper case (RFC 9110 §9.1: methods are case-sensitive; Helidon 4.5 reads {@code get} as
 * {@code GET}). Nothing is parsed here: Helidon reads each request line with one {@code readBytes}
 * call, and this reader looks at the case of the letters before its first space.
 */
final class RequestLines implements ConnectionContext {
  private final ConnectionContext ctx;
  private final Reader reader;

  RequestLines(ConnectionContext ctx) {
    this.ctx = ctx;
    this.reader = new Reader(ctx.serverSocket());
  }

  /** The request's headers are in: the next line read is the next request's line. */
  void headersRead() {
    reader.atRequestLine = true;
  }

  /** Reads the socket as Helidon's own reader does; checks each request line's method. */
  static final class Reader extends DataReader {
    private volatile boolean atRequestLine = true;

    Reader(HelidonSocket socket) {
      super(
          () -> {
            try {
              return socket.get();
            } catch (UncheckedIOException e) {
              throw new ServerConnectionException("Failed to get data from socket", e);
            }
          });
    }

    @Override
    public byte[] readBytes(int len) {
      byte[] line = super.readBytes(len);
      if (atRequestLine) {
        atRequestLine = false;
        for (byte b : line) {
          if (b == ' ') {
            break;
          }
          if (b >= 'a' && b <= 'z') {
            throw RequestException.builder()
                .type(DirectHandler.EventType.BAD_REQUEST)
                .message("the method must be upper case: methods are case-sensitive")
                .safeMessage(true)
                .build();
          }
        }
      }
      return line;
    }
  }

  @Override
  public DataReader dataReader() {
    return reader;
  }

  @Override
  public ListenerContext listenerContext() {
    return ctx.listenerContext();
  }

  @Override
  public ExecutorService executor() {
    return ctx.executor();
  }

  @Override
  public DataWriter dataWriter() {
    return ctx.dataWriter();
  }

  @Override
  public Router router() {
    return ctx.router();
  }

  @Override
  public Optional<ProxyProtocolData> proxyProtocolData() {
    return ctx.proxyProtocolData();
  }

  @Override
  public HelidonSocket serverSocket() {
    return ctx.serverSocket();
  }

  @Override
  public PeerInfo remotePeer() {
    return ctx.remotePeer();
  }

  @Override
  public PeerInfo localPeer() {
    return ctx.localPeer();
  }

  @Override
  public boolean isSecure() {
    return ctx.isSecure();
  }

  @Override
  public String socketId() {
    return ctx.socketId();
  }

  @Override
  public String childSocketId() {
    return ctx.childSocketId();
  }
}
