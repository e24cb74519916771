package io.rma.coordinator.http;

import java.util.Map;

/**
 * A request the coordinator refuses, with the status to answer and the {@code detail} to put in the
 * JSON body. Thrown from handlers; {@link ErrorMapping} turns it into the response.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final Map<String, Object> extra;
  private final String code;
  private boolean closeConnection;

  public ApiException(int status, String detail) {
    this(status, detail, Map.of());
  }

  /** {@code extra} adds fields beside {@code detail} (e.g. {@code action: register}). */
  public ApiException(int status, String detail, Map<String, Object> extra) {
    this(status, detail, extra, null);
  }

  /**
   * @param code a short snake_case name of the error for OpenAI clients ({@code error.code} on the
   *     {@code /v1/} routes, see {@link ErrorMapping}), or null; never in other answers
   */
  public ApiException(int status, String detail, Map<String, Object> extra, String code) {
    super(detail, null, false, false);
    this.status = status;
    this.extra = Map.copyOf(extra);
    this.code = code;
  }

  public int status() {
    return status;
  }

  public Map<String, Object> extra() {
    return extra;
  }

  /**
   * Marks this error as the last answer on its connection: the connection closes after it (a
   * request whose body framing broke, so the bytes after it cannot be trusted).
   */
  public ApiException closingConnection() {
    closeConnection = true;
    return this;
  }

  public boolean closesConnection() {
    return closeConnection;
  }

  /** The OpenAI {@code error.code}, or null. */
  public String code() {
    return code;
  }

  public static ApiException badRequest(String detail) {
    return new ApiException(400, detail);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(404, detail);
  }

  public static ApiException unprocessable(String detail) {
    return new ApiException(422, detail);
  }
}
