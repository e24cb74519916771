package io.rma.coordinator.runtime;

import io.helidon.webserver.WebServer;
import io.rma.coordinator.http.LoopServer;
import java.time.Duration;

/**
 * The coordinator's running HTTP server: Helidon on the port, or, with {@code RMA_EVENT_LOOPS}, the
 * inference event loops on the port and Helidon behind them on an internal listener.
 */
public final class Server {
  private final WebServer helidon;
  private final LoopServer loops;

  Server(WebServer helidon, LoopServer loops) {
    this.helidon = helidon;
    this.loops = loops;
  }

  /** The port clients connect to. */
  public int port() {
    return loops != null ? loops.port() : helidon.port();
  }

  public boolean isRunning() {
    return helidon.isRunning();
  }

  /** Stops taking connections and stops, letting requests in progress finish (bounded). */
  public void stop() {
    if (loops != null) {
      loops.drain(Duration.ofSeconds(10));
    }
    helidon.stop();
    if (loops != null) {
      loops.close();
    }
  }

  /** Helidon's server (on the internal listener when the event loops are on). */
  public WebServer helidon() {
    return helidon;
  }
}
