package io.rma.coordinator.runtime;

import io.helidon.webserver.WebServer;

/** The coordinator's running HTTP server. */
public final class Server {
  private final WebServer helidon;

  Server(WebServer helidon) {
    this.helidon = helidon;
  }

  /** The port clients connect to. */
  public int port() {
    return helidon.port();
  }

  public boolean isRunning() {
    return helidon.isRunning();
  }

  /**
   * Stops taking connections and stops, letting requests in progress finish (within the listener's
   * shutdown grace period).
   */
  public void stop() {
    helidon.stop();
  }

  /** Helidon's server. */
  public WebServer helidon() {
    return helidon;
  }
}
