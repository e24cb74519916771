package io.rma.coordinator.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.ClientConnection;
import io.helidon.webclient.api.WebClientServiceRequest;
import io.helidon.webclient.api.WebClientServiceResponse;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webclient.spi.WebClientService;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Mends three gaps of Helidon 4.5's HTTP/1.1 client, on the answer as it leaves the client: an
 * answer that ends when the worker closes (HTTP/1.0 workers, Python's http.server) is reported as
 * an exception at its end, not as the end; a connection with bytes left on it after an answer
 * (trailers after a chunked body, which the client leaves unread, or bytes past a declared length)
 * would be reused and its next answer read from those bytes; and an interim answer (103 Early
 * Hints, an unasked-for 100) is returned as if it were the answer. Such connections are closed
 * before the client can pool them.
 */
final class AnswerGuard implements WebClientService {
  /**
   * The guarded body of the answer the calling thread just got (WebClient runs services on the
   * caller's thread): {@link WorkerClient.Answer#body} reads it directly, without the entity layer
   * above it, which allocates a buffer of the requested size on every read (8 KiB per SSE event).
   */
  static final ThreadLocal<GuardedBody> BODY = new ThreadLocal<>();

  @Override
  public WebClientServiceResponse handle(Chain chain, WebClientServiceRequest request) {
    WebClientServiceResponse response = chain.proceed(request);
    if (!(response.connection() instanceof ClientConnection connection)) {
      return response;
    }
    if (response.status().code() < 200) {
      connection.closeResource();
      return response;
    }
    if (response.inputStream().isEmpty()) {
      return response;
    }
    GuardedBody body =
        new GuardedBody(
            response.inputStream().get(),
            connection,
            response.headers().contentLength().isEmpty()
                && !response.headers().contains(HeaderNames.TRANSFER_ENCODING));
    BODY.set(body);
    return WebClientServiceResponse.builder().from(response).inputStream(body).build();
  }

  @Override
  public String type() {
    return "rma-answer-guard";
  }

  /**
   * An answer's body read straight from the client's decoding of it; at its end one read through
   * the response's own entity lets Helidon see the end and give the connection back to the pool.
   */
  static final class Direct extends FilterInputStream {
    private final Http1ClientResponse response;
    private boolean ended;

    Direct(InputStream raw, Http1ClientResponse response) {
      super(raw);
      this.response = response;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n < 0 && !ended) {
        ended = true;
        response.inputStream().read(); // the entity's end: Helidon releases the connection
      }
      return n;
    }

    @Override
    public void close() {
      response.close();
    }
  }

  /** An answer's body as the client reads it, with the ends of {@link AnswerGuard}. */
  static final class GuardedBody extends FilterInputStream {
    private final ClientConnection connection;
    private final boolean untilClose;

    GuardedBody(InputStream in, ClientConnection connection, boolean untilClose) {
      super(in);
      this.connection = connection;
      this.untilClose = untilClose;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (DataReader.InsufficientDataAvailableException e) {
        if (!untilClose) {
          throw new IOException("the worker closed the connection part-way through the answer");
        }
        connection.closeResource(); // an answer that ends at the close never leaves a connection
        return -1;
      }
      if (n < 0 && bytesLeft()) {
        connection.closeResource();
      }
      return n;
    }

    private boolean bytesLeft() {
      try {
        return connection.reader().available() > 0;
      } catch (IllegalStateException closed) {
        return false;
      }
    }
  }
}
