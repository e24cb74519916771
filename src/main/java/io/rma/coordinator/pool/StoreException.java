package io.rma.coordinator.pool;

/** The store could not do what was asked; the API answers 503 and nothing was acknowledged. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
