package io.rma.coordinator.web;

import java.util.Map;

/**
 * A request the coordinator refuses, with the status to answer and the {@code detail} to put in the
 * JSON body. Thrown from handlers; {@link ErrorMapping} turns it into the response.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final Map<String, Object> extra;

  public ApiException(int status, String detail) {
    this(status, detail, Map.of());
  }

  /** {@code extra} adds fields beside {@code detail} (e.g. {@code action: register}). */
  public ApiException(int status, String detail, Map<String, Object> extra) {
    super(detail, null, false, false);
    this.status = status;
    this.extra = Map.copyOf(extra);
  }

  public int status() {
    return status;
  }

  public Map<String, Object> extra() {
    return extra;
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
