package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium through its chromedriver (given by
 * path, so Selenium never downloads one; {@code .ci/run} installs both where missing). Workers are
 * registered through the API, the page must show their tiers and phases, and a worker drained from
 * the page must show as Draining. The page as the browser drew it is saved as {@code
 * target/dashboard.png}.
 */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String ADMIN = "admin-secret";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path profile;

  private static ChromeDriver browser;
  private static ChromeDriverService service;

  @BeforeAll
  static void startBrowser() {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "chromium and chromium-driver are not installed (.ci/run installs them)");
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(new File("target/chromedriver.log"))
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1440,2200",
        "--user-data-dir=" + profile.resolve("chromium"));
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
    if (service != null) {
      service.stop();
    }
  }

  @Test
  void showsRegisteredWorkersWithTheirTiersAndPhasesAndDrainsOneFromThePage() throws IOException {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    try (CoordinatorFixture api =
        new CoordinatorFixture(
            Map.of("RMA_ADMIN_TOKEN", ADMIN, "RMA_REGISTRATIONS_PER_MINUTE", "0"), clock)) {
      List<JsonNode> gpu = new ArrayList<>();
      List<JsonNode> service = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        gpu.add(register(api, gpuWorker(i)));
      }
      for (int i = 1; i <= 3; i++) {
        service.add(register(api, serviceWorker(i)));
      }
      JsonNode data = register(api, "{\"capabilities\": {\"cpu_cores\": 1, \"ram\": \"1GB\"}}");
      // Past the offline window: every worker but the data worker beats again, one as degraded.
      clock.advance(Duration.ofSeconds(100));
      for (JsonNode w : gpu) {
        beat(api, w, "healthy", 0.42);
      }
      beat(api, service.get(0), "healthy", 0.15);
      beat(api, service.get(1), "degraded", 0.91);
      beat(api, service.get(2), "healthy", 0.66);
      api.coordinator.loop().runOnce(); // writes the phases, recording the changes as events
      for (int i = 0; i < 12; i++) {
        api.post("/api/inference/llm", "{\"model\": \"llama3\", \"prompt\": \"hi\"}");
        api.get("/v1/models");
      }

      Map<String, String[]> expected = new LinkedHashMap<>();
      gpu.forEach(w -> expected.put(id(w), new String[] {"1", "Healthy"}));
      expected.put(id(service.get(0)), new String[] {"2", "Healthy"});
      expected.put(id(service.get(1)), new String[] {"2", "Degraded"});
      expected.put(id(service.get(2)), new String[] {"2", "Healthy"});
      expected.put(id(data), new String[] {"3", "Offline"});

      browser.get(api.url("/dashboard"));
      // The page redraws its table on every refresh: a row found a moment ago may be gone.
      WebDriverWait wait = new WebDriverWait(browser, WAIT);
      wait.ignoring(StaleElementReferenceException.class).ignoring(NoSuchElementException.class);
      // An admin token is set: the page asks for it before it shows anything.
      WebElement token =
          wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token-input")));
      token.sendKeys(ADMIN);
      browser.findElement(By.id("token-submit")).click();
      wait.until(
          d -> d.findElements(By.cssSelector("#workers tbody tr")).size() == expected.size());

      for (Map.Entry<String, String[]> e : expected.entrySet()) {
        WebElement row = row(e.getKey());
        assertThat(row.findElement(By.cssSelector("td.tier")).getText())
            .as("tier of " + e.getKey())
            .isEqualTo(e.getValue()[0]);
        assertThat(row.findElement(By.cssSelector("td.phase")).getText())
            .as("phase of " + e.getKey())
            .isEqualTo(e.getValue()[1]);
      }
      assertThat(text("t-total")).isEqualTo("6");
      assertThat(text("t-healthy")).isEqualTo("4");
      assertThat(text("t-offline")).isEqualTo("1");
      assertThat(
              browser
                  .findElement(
                      By.cssSelector("#matrix tr[data-tier='2'] td[data-phase='Degraded']"))
                  .getText())
          .isEqualTo("1");
      // The token is kept for this tab only.
      JavascriptExecutor js = browser;
      assertThat(js.executeScript("return sessionStorage.getItem('rma-admin-token')"))
          .isEqualTo(ADMIN);
      assertThat(js.executeScript("return localStorage.length")).isEqualTo(0L);

      String drained = id(service.get(2));
      row(drained).findElement(By.cssSelector("button.drain")).click();
      wait.until(
          d -> row(drained).findElement(By.cssSelector("td.phase")).getText().equals("Draining"));
      wait.until(
          d ->
              row(drained).findElement(By.cssSelector("button.drain")).getText().equals("Undrain"));
      wait.until(d -> text("t-draining").equals("1"));
      assertThat(api.coordinator.store().get(drained).orElseThrow().getSpec().draining()).isTrue();
      wait.until(
          d ->
              !d.findElements(By.cssSelector("#events li[data-type='drained']")).isEmpty()
                  && !d.findElements(By.cssSelector("#routes tbody tr[data-route='llm']"))
                      .isEmpty());
      assertThat(browser.findElements(By.cssSelector("#events li[data-type='phase_changed']")))
          .isNotEmpty();

      Path shot = Path.of("target", "dashboard.png");
      Files.createDirectories(shot.getParent());
      Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      assertThat(Files.size(shot)).isGreaterThan(10_000);
    }
  }

  private static WebElement row(String worker) {
    return browser.findElement(By.cssSelector("#workers tbody tr[data-worker='" + worker + "']"));
  }

  private static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private static String gpuWorker(int i) {
    return "{\"capabilities\": {\"cpu_cores\": 16, \"ram\": \"64GB\", \"gpu_type\": \"RTX 4090\","
        + " \"gpu_memory\": \"24564MB\"}, \"ip_address\": \"10.0.1."
        + i
        + "\", \"port\": 8000, \"models\": [\"llama3\", \"mistral-7b\"]}";
  }

  private static String serviceWorker(int i) {
    return "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"16GB\"}, \"ip_address\": \"10.0.2."
        + i
        + "\"}";
  }

  private static JsonNode register(CoordinatorFixture api, String body) {
    Answer a = api.post("/api/worker/register", body);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json();
  }

  private static void beat(CoordinatorFixture api, JsonNode w, String status, double load) {
    Answer a =
        api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \""
                + id(w)
                + "\", \"status\": \""
                + status
                + "\", \"current_load\": "
                + load
                + "}",
            w.get("worker_token").asText());
    assertThat(a.status()).as(a.body()).isEqualTo(200);
  }

  private static String id(JsonNode w) {
    return w.get("worker_id").asText();
  }
}
