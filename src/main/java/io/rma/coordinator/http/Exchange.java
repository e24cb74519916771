package io.rma.coordinator.http;

import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request and its answer, as the inference routes and the pull-task fallback see them
 * ({@link HelidonExchange} over Helidon's request and response). The request body is read by the
 * caller, within its cap.
 */
public interface Exchange {
  /** The request's path, without its query (e.g. {@code /v1/completions}). */
  String path();

  /** The first value of a request header (case-insensitive name). */
  Optional<String> header(String name);

  /** Every value of a request header. */
  List<String> headers(String name);

  /** Decoded query parameters, in the order sent. */
  Map<String, List<String>> query();

  /** The client's address as this server sees it (a proxy's, behind a proxy). */
  String client();

  /**
   * Answers with a whole body.
   *
   * @param contentType the Content-Type, or null for none
   * @param headers further response headers; a value with line ends in it is sent as one header
   *     line per line (Set-Cookie)
   */
  void send(int status, String contentType, Map<String, String> headers, byte[] body);

  /**
   * Starts an answer whose body follows as it is produced; each {@code flush()} of the stream sends
   * what was written so far. Closing the stream ends the answer.
   */
  OutputStream stream(int status, String contentType, Map<String, String> headers);

  /**
   * Starts an answer of exactly {@code length} bytes (a {@code Content-Length} answer) whose body
   * follows as it is written, without being held whole. Closing the stream ends the answer; the
   * caller writes exactly {@code length} bytes or gives up the connection.
   */
  OutputStream fixed(int status, String contentType, Map<String, String> headers, long length);
}
