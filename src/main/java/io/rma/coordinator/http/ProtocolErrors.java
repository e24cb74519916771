package io.rma.coordinator.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.util.Map;

/**
 * The answers to errors that Helidon's HTTP layer raises itself, before any route runs (a request
 * line or head too long or malformed, HTTP/1.0, a bad Host, broken body framing, a request Helidon
 * cannot route): JSON {@code {"detail": ...}} like every other error of the coordinator, with
 * OpenAI's {@code error} object on {@code /v1/} paths, instead of Helidon's empty or HTML bodies.
 */
final class ProtocolErrors implements DirectHandler {
  private final int maxPrologue;
  private final int maxHeaders;

  private ProtocolErrors(int maxPrologue, int maxHeaders) {
    this.maxPrologue = maxPrologue;
    this.maxHeaders = maxHeaders;
  }

  /** Handlers for every event type Helidon answers directly. */
  static DirectHandlers handlers(int maxPrologue, int maxHeaders) {
    ProtocolErrors json = new ProtocolErrors(maxPrologue, maxHeaders);
    DirectHandlers.Builder handlers = DirectHandlers.builder();
    for (EventType type : EventType.values()) {
      handlers.addHandler(type, json);
    }
    return handlers.build();
  }

  /** An error raised while a route ran (Helidon passes the exception). */
  @Override
  public TransportResponse handle(
      TransportRequest request,
      EventType eventType,
      Status defaultStatus,
      ServerResponseHeaders responseHeaders,
      Throwable thrown) {
    int status = defaultStatus.code();
    String message =
        thrown instanceof RequestException re && re.safeMessage() ? re.getMessage() : null;
    return answer(request, status, responseHeaders, detail(status, message), code(status));
  }

  /**
   * An error raised while a request line or head was read, before any route ran: Helidon passes
   * only a safe message, if any. What it reports as an internal error there is its parser failing
   * on bad input (an invalid character in the method, say): a 400, never a 500.
   */
  @Override
  public TransportResponse handle(
      TransportRequest request,
      EventType eventType,
      Status defaultStatus,
      ServerResponseHeaders responseHeaders,
      String message) {
    boolean parserFailed = eventType == EventType.INTERNAL_ERROR;
    String safe =
        parserFailed || message == null || message.startsWith(HELIDON_UNSAFE) ? null : message;
    int status =
        parserFailed
            ? 400
            : safe != null && safe.contains(HELIDON_HEAD_TOO_LARGE) ? 431 : defaultStatus.code();
    return answer(request, status, responseHeaders, detail(status, safe), code(status));
  }

  /** How Helidon words a message it will not show. */
  private static final String HELIDON_UNSAFE = "Bad request, see server log";

  /** How Helidon's header parser words a head over its limit. */
  private static final String HELIDON_HEAD_TOO_LARGE = "Header size exceeded";

  private String detail(int status, String message) {
    return switch (status) {
      case 414 -> "request line longer than " + maxPrologue + " bytes";
      case 431 -> "request headers larger than " + maxHeaders + " bytes";
      case 413 -> "request body too large";
      case 505 ->
          "HTTP/1.0 is not supported: send HTTP/1.1 (behind nginx: proxy_http_version 1.1;)";
      case 501 -> "unsupported request Transfer-Encoding: only chunked is accepted";
      case 503 -> "the coordinator is at its limit of concurrent requests; retry shortly";
      default -> {
        if (status >= 500) {
          yield "internal error";
        }
        yield message != null && !message.isBlank()
            ? "bad request: " + clean(message)
            : "bad request: the request line or headers are malformed, or the head is larger than "
                + maxHeaders
                + " bytes";
      }
    };
  }

  private static String code(int status) {
    return switch (status) {
      case 413 -> "body_too_large";
      case 503 -> "overloaded";
      default -> status >= 500 ? "internal_error" : "invalid_request";
    };
  }

  private static TransportResponse answer(
      TransportRequest request,
      int status,
      ServerResponseHeaders headers,
      String detail,
      String code) {
    String path = request == null || request.path() == null ? "" : request.path();
    Map<String, Object> body = ErrorMapping.body(path, status, Map.of("detail", detail), code);
    TransportResponse.Builder answer =
        TransportResponse.builder()
            .status(HelidonExchange.status(status))
            .headers(headers)
            .header(HeaderNames.CONTENT_TYPE, "application/json")
            .entity(JsonBodies.bytes(body));
    if (status == 503) {
      answer.header(HeaderNames.RETRY_AFTER, "1");
    }
    // Whatever Helidon answers by itself ends the connection: what follows cannot be trusted.
    return answer.keepAlive(false).build();
  }

  /** A message fit for a JSON answer: one line, bounded, no control characters. */
  static String clean(String message) {
    String oneLine = message.replaceAll("\\p{Cntrl}", " ").strip();
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }
}
