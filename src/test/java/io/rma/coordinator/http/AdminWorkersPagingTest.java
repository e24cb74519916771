package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/admin/workers} with limit, cursor, filters and sort, over real HTTP. */
class AdminWorkersPagingTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;
  private final List<JsonNode> registered = new ArrayList<>();

  @BeforeEach
  void start() {
    api =
        new CoordinatorFixture(
            Map.of("RMA_WORKER_AUTH", "none", "RMA_REGISTRATIONS_PER_MINUTE", "0"), clock);
    // 9 GPU workers, 8 service workers, 6 data workers; loads 0.00 .. 0.22 by registration order.
    for (int i = 0; i < 23; i++) {
      String caps =
          i < 9
              ? "\"cpu_cores\": 8, \"ram\": \"32GB\", \"gpu_memory\": \"24GB\""
              : i < 17
                  ? "\"cpu_cores\": 4, \"ram\": \"16GB\""
                  : "\"cpu_cores\": 1, \"ram\": \"1GB\"";
      Answer a = api.post("/api/worker/register", "{\"capabilities\": {" + caps + "}}");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      registered.add(a.json());
    }
    clock.advance(Duration.ofSeconds(100)); // all Offline, then all but the data workers beat
    for (int i = 0; i < 17; i++) {
      beat(registered.get(i), i / 100.0, i % 4 == 1 ? "degraded" : "healthy");
    }
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private void beat(JsonNode w, double load, String status) {
    Answer a =
        api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \""
                + w.get("worker_id").asText()
                + "\", \"status\": \""
                + status
                + "\", \"current_load\": "
                + load
                + "}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
  }

  private JsonNode ok(String path) {
    Answer a = api.get(path);
    assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(200);
    return a.json();
  }

  /** Follows next_cursor from {@code first} to the end; the ids in the order given. */
  private List<String> allPages(String first) {
    return allPages(first, null);
  }

  /** Follows next_cursor from {@code base} (at {@code cursor}, null: the start) to the end. */
  private List<String> allPages(String base, String cursor) {
    List<String> ids = new ArrayList<>();
    String path =
        cursor == null
            ? base
            : base + "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    for (int pages = 0; pages < 50; pages++) {
      JsonNode page = ok(path);
      page.get("workers").forEach(w -> ids.add(w.get("worker_id").asText()));
      if (page.get("next_cursor").isNull()) {
        return ids;
      }
      assertThat(page.get("count").asInt()).isEqualTo(page.get("limit").asInt());
      path =
          base
              + "&cursor="
              + URLEncoder.encode(page.get("next_cursor").asText(), StandardCharsets.UTF_8);
    }
    throw new AssertionError("more than 50 pages");
  }

  @Test
  void withoutLimitEveryWorkerIsAnsweredAsBefore() {
    JsonNode all = ok("/api/admin/workers");
    assertThat(all.get("total").asInt()).isEqualTo(23);
    assertThat(all.get("workers")).hasSize(23);
    assertThat(all.has("next_cursor")).isFalse();
  }

  @Test
  void pagesFollowTheCursorThroughThePoolInIdOrderWithoutRepeats() {
    JsonNode first = ok("/api/admin/workers?limit=5");
    assertThat(first.get("workers")).hasSize(5);
    assertThat(first.get("total").asInt()).isEqualTo(23);
    assertThat(first.get("pool_total").asInt()).isEqualTo(23);
    assertThat(first.get("sort").asText()).isEqualTo("worker_id");
    List<String> ids = allPages("/api/admin/workers?limit=5");
    List<String> expected =
        registered.stream().map(w -> w.get("worker_id").asText()).sorted().toList();
    assertThat(ids).containsExactlyElementsOf(expected);
  }

  @Test
  void sortByLoadDescendingPagesThroughThePoolInLoadOrder() {
    List<String> ids = allPages("/api/admin/workers?limit=4&sort=-load");
    assertThat(ids).hasSize(23).doesNotHaveDuplicates();
    List<Double> loads = new ArrayList<>();
    JsonNode all = ok("/api/admin/workers");
    for (String id : ids) {
      for (JsonNode w : all.get("workers")) {
        if (w.get("worker_id").asText().equals(id)) {
          loads.add(w.get("current_load").asDouble());
        }
      }
    }
    assertThat(loads).isSortedAccordingTo(Comparator.reverseOrder());
    assertThat(loads.getFirst()).isEqualTo(0.16);
  }

  @Test
  void filtersByPhaseTierServiceAndIdText() {
    JsonNode offline = ok("/api/admin/workers?limit=50&phase=offline");
    assertThat(offline.get("total").asInt()).isEqualTo(6);
    assertThat(offline.get("workers")).allMatch(w -> w.get("phase").asText().equals("Offline"));
    assertThat(offline.get("workers")).allMatch(w -> w.get("tier").asInt() == 3);

    JsonNode degradedGpu = ok("/api/admin/workers?limit=50&phase=Degraded&tier=1");
    assertThat(degradedGpu.get("workers"))
        .isNotEmpty()
        .allMatch(w -> w.get("tier").asInt() == 1 && w.get("phase").asText().equals("Degraded"));

    assertThat(ok("/api/admin/workers?phase=Healthy,Degraded").get("total").asInt()).isEqualTo(17);
    assertThat(ok("/api/admin/workers?tier=2,3&limit=100").get("total").asInt()).isEqualTo(14);

    JsonNode vllm = ok("/api/admin/workers?limit=50&service=vllm");
    assertThat(vllm.get("workers"))
        .isNotEmpty()
        .allMatch(w -> w.get("services").toString().contains("\"vllm\""));

    String id = registered.get(3).get("worker_id").asText();
    JsonNode one = ok("/api/admin/workers?limit=10&q=" + id.substring(id.length() - 8));
    assertThat(one.get("workers")).extracting(w -> w.get("worker_id").asText()).contains(id);
  }

  @Test
  void aWorkerThatJoinsBetweenPagesIsNotShownTwice() {
    JsonNode first = ok("/api/admin/workers?limit=10");
    Answer joined =
        api.post(
            "/api/worker/register", "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"4GB\"}}");
    assertThat(joined.status()).isEqualTo(200);
    List<String> rest = allPages("/api/admin/workers?limit=10", first.get("next_cursor").asText());
    List<String> seen = new ArrayList<>();
    first.get("workers").forEach(w -> seen.add(w.get("worker_id").asText()));
    seen.addAll(rest);
    assertThat(seen).doesNotHaveDuplicates().hasSizeBetween(23, 24);
  }

  @Test
  void badParametersAreJsonErrorsThatNameTheProblem() {
    String cursor = ok("/api/admin/workers?limit=2").get("next_cursor").asText();
    for (String[] c :
        new String[][] {
          {"limit=0", "422", "limit"},
          {"limit=abc", "422", "limit"},
          {"limit=5000", "422", "limit"},
          {"limit=1&limit=2", "422", "limit"},
          {"sort=color", "422", "sort"},
          {"phase=Sleeping", "422", "phase"},
          {"tier=7", "422", "tier"},
          {"service=%3Cscript%3E", "422", "service"},
          {"q=a%20b", "422", "q"},
          {"cursor=%21%21%21", "400", "cursor"},
          {"limit=2&sort=-load&cursor=" + cursor, "400", "cursor"},
        }) {
      Answer a = api.get("/api/admin/workers?" + c[0]);
      assertThat(a.status()).as(c[0] + ": " + a.body()).isEqualTo(Integer.parseInt(c[1]));
      assertThat(a.json().get("detail").asText()).as(c[0]).contains(c[2]);
    }
  }
}
