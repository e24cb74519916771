package io.rma.coordinator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.webclient.api.WebClient;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;

/** What the deployment files point at, checked against a real standalone coordinator. */
final class RealCoordinator {
  private RealCoordinator() {}

  /** Each path answers 200 on a coordinator with the default configuration. */
  static void assertPathsAnswer200(Collection<String> paths) {
    try (Coordinator coordinator =
        Coordinator.standalone(ConfigLoader.load(Map.of()), Clock.systemUTC())) {
      Server server = coordinator.start(0);
      try {
        WebClient client = WebClient.builder().baseUri("http://localhost:" + server.port()).build();
        for (String path : paths) {
          assertThat(client.get(path).request().status().code()).as(path).isEqualTo(200);
        }
      } finally {
        server.stop();
      }
    }
  }
}
