package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's files come from the jar, open like {@code /}, with the right content types. */
class DashboardPageTest {
  @Test
  void pageScriptsAndTheChartLibraryAreServedWithoutTheAdminToken() throws Exception {
    try (CoordinatorFixture api =
        new CoordinatorFixture(
            Map.of("RMA_ADMIN_TOKEN", "secret"), MutableClock.at("2026-01-01T00:00:00Z"))) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> bare =
          http.send(
              HttpRequest.newBuilder(URI.create(api.url("/dashboard"))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(bare.statusCode()).isEqualTo(301);
      assertThat(bare.headers().firstValue("Location")).contains("/dashboard/");
      for (String[] file :
          new String[][] {
            {"/dashboard/", "text/html", "RMA Coordinator"},
            {"/dashboard/dashboard.js", "javascript", "sessionStorage"},
            {"/dashboard/dashboard.css", "text/css", "--healthy"},
            {"/dashboard/lib/uPlot.iife.min.js", "javascript", "uPlot"},
            {"/dashboard/lib/uPlot.min.css", "text/css", ".uplot"},
          }) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(api.url(file[0]))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(file[0]).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).as(file[0]).contains(file[1]);
        assertThat(r.body()).as(file[0]).contains(file[2]);
      }
      assertThat(api.get("/dashboard/nothing-here.js").status()).isEqualTo(404);
      assertThat(api.get("/dashboard/../pom.xml").status()).isIn(400, 404);
      assertThat(api.get("/api/admin/stats").status()).isEqualTo(401);
      assertThat(api.get("/").json().get("dashboard").asText()).isEqualTo("/dashboard");
    }
  }
}
