package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a worker is reached: the address it gives, checked as written; or, when it gives none, the
 * address it registered from (through X-Forwarded-For only from a trusted proxy).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerAddressTest {
  private static final String CAPS = "\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}";
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");

  /** One coordinator for the many cases of the parameterized tests. */
  private CoordinatorFixture shared;

  @BeforeAll
  void startShared() {
    shared = coordinator(Map.of());
  }

  @AfterAll
  void stopShared() {
    shared.close();
  }

  private CoordinatorFixture coordinator(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "0"));
    env.putAll(extra);
    return new CoordinatorFixture(env, clock);
  }

  private static Answer register(CoordinatorFixture api, String fields, String forwardedFor) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api.url("/api/worker/register")))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{" + CAPS + fields + "}"));
    if (forwardedFor != null) {
      b.header("X-Forwarded-For", forwardedFor);
    }
    return api.send(b, null);
  }

  @ParameterizedTest(name = "{0} = \"{1}\"")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "ip_address | 1.2.3.4.5",
        "ip_address | 999.1.1.1",
        "ip_address | '127.0.0.1 '",
        "ip_address | ' 10.0.0.5'",
        "ip_address | 0177.0.0.1",
        "ip_address | 127.1",
        "ip_address | 10.0.0.5:8000",
        "ip_address | bad_host.lan",
        "ip_address | 1::2::3",
        "tunnel_url | http://127.0.0.1:99999/",
        "tunnel_url | http://0177.0.0.1/",
        "tunnel_url | http://999.1.1.1/",
        "tunnel_url | 'http://127.0.0.1:8000/ '",
        "tunnel_url | http://127.0.0.1:0/",
        "tunnel_url | http://host:/",
        "tunnel_url | https://worker.example.com/?x=1",
        "tunnel_url | http://user:pw@worker.example.com/",
      })
  void malformedAddressesAre422NamingTheField(String field, String value) {
    int before = shared.coordinator.store().list().size();
    Answer a = register(shared, ", \"" + field + "\": \"" + value + "\"", null);
    assertThat(a.status()).as(a.body()).isEqualTo(422);
    assertThat(a.json().get("detail").asText()).startsWith(field + " ");
    assertThat(shared.coordinator.store().list()).hasSize(before);
  }

  @ParameterizedTest(name = "{0} = \"{1}\" -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ip_address | 10.0.0.5 | http://10.0.0.5:8000",
        "ip_address | fd00::5 | http://[fd00::5]:8000",
        "ip_address | [fd00::5] | http://[fd00::5]:8000",
        "tunnel_url | https://abc-def.trycloudflare.com | https://abc-def.trycloudflare.com",
        "tunnel_url | http://10.0.0.5:9000/base/ | http://10.0.0.5:9000/base/",
        "tunnel_url | http://[fd00::5]:9000 | http://[fd00::5]:9000",
      })
  void wellFormedAddressesAreKeptAsGiven(String field, String value, String endpoint) {
    Answer a =
        register(
            shared,
            ", \"" + field + "\": \"" + value + "\", \"services\": [\"vllm\"], \"port\": 8000",
            null);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(a.json().get("endpoint").asText()).isEqualTo(endpoint);
  }

  @Test
  void withoutAnAddressTheWorkerIsReachedWhereItRegisteredFromOnTheCataloguePort() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      // The fixture's client connects to localhost: IPv4 or IPv6 loopback.
      Answer a = register(api, "", null);
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      // A tier-2 worker's first gap is upload, on catalogue port 8001.
      assertThat(a.json().get("assigned_services").get(0).asText()).isEqualTo("upload");
      assertThat(a.json().get("endpoint").asText())
          .matches("http://(127\\.0\\.0\\.1|\\[.*1\\]):8001");
    }
  }

  @Test
  void aClientCannotNameItsOwnAddressWithoutATrustedProxy() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      Answer a = register(api, "", "10.9.9.9");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      String ip = storedIp(api, a);
      assertThat(ip).isNotEqualTo("10.9.9.9");
    }
  }

  @Test
  void behindATrustedProxyTheForwardedAddressIsTheWorkers() {
    try (CoordinatorFixture api =
        coordinator(Map.of("RMA_TRUSTED_PROXIES", "127.0.0.1, ::1, 10.0.0.0/8"))) {
      Answer direct = register(api, "", "192.168.7.20");
      assertThat(direct.status()).as(direct.body()).isEqualTo(200);
      assertThat(storedIp(api, direct)).isEqualTo("192.168.7.20");
      // The nearest address that is not a trusted proxy: a client-supplied first hop is ignored.
      Answer chain = register(api, "", "6.6.6.6, 192.168.7.21, 10.1.2.3");
      assertThat(storedIp(api, chain)).isEqualTo("192.168.7.21");
      // What the proxy forwards is checked by the same SSRF guard.
      Answer metadata = register(api, "", "169.254.169.254");
      assertThat(metadata.status()).as(metadata.body()).isEqualTo(422);
      assertThat(metadata.json().get("detail").asText())
          .startsWith("ip_address refused")
          .contains("169.254.169.254");
      Answer garbage = register(api, "", "not-an-address");
      assertThat(garbage.status()).isEqualTo(400);
      assertThat(garbage.json().get("detail").asText()).contains("X-Forwarded-For");
    }
  }

  @Test
  void anAddressFromTheConnectionIsCheckedByTheSsrfGuard() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_ALLOW_LOOPBACK_WORKERS", "false"))) {
      Answer a = register(api, "", null);
      assertThat(a.status()).as(a.body()).isEqualTo(422);
      assertThat(a.json().get("detail").asText())
          .startsWith("ip_address refused")
          .contains("address it connected from")
          .contains("loopback");
      assertThat(api.coordinator.store().list()).isEmpty();
    }
  }

  @Test
  void aPullWorkerWithoutAnAddressGetsNone() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      Answer a = register(api, ", \"mode\": \"pull\"", null);
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(a.json().get("endpoint").isNull()).isTrue();
    }
  }

  private static String storedIp(CoordinatorFixture api, Answer registration) {
    return api.coordinator
        .store()
        .get(registration.json().get("worker_id").asText())
        .orElseThrow()
        .getSpec()
        .getIpAddress();
  }
}
