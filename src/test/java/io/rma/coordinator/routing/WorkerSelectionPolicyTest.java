package io.rma.coordinator.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.http.OpenAiService;
import io.rma.coordinator.pool.WorkerView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The selection rules, with no server: a pool of views, a moved clock, counted picks. */
class WorkerSelectionPolicyTest {
  private final MovableClock clock = new MovableClock();
  private final OutlierEjection ejection = new OutlierEjection(clock, 3, Duration.ofSeconds(30));
  private static final RouteRequest ANY = new RouteRequest("vllm", null);
  private final InFlight inFlight = new InFlight();
  private final WorkerSelectionPolicy policy =
      new WorkerSelectionPolicy(0.8, ejection, Scoring.defaults(inFlight), new SplittableRandom(7));

  private static WorkerView view(String name, WorkerPhase phase, double load, String... models) {
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setIpAddress("10.0.0.1");
    spec.setModels(List.of(models));
    return new WorkerView(
        new RMAWorker(name, spec), phase, Instant.EPOCH, load, null, Set.of("vllm"));
  }

  private Map<String, Integer> picks(List<WorkerView> pool, String model, int n) {
    Map<String, Integer> count = new HashMap<>();
    WorkerSelectionPolicy.Candidates c = policy.candidates(pool, new RouteRequest("vllm", model));
    for (int i = 0; i < n; i++) {
      policy.choose(c, ANY, Set.of()).ifPresent(w -> count.merge(w.name(), 1, Integer::sum));
    }
    return count;
  }

  @Test
  void offlineDrainingOverloadedAndPullWorkersAreNeverCandidates() {
    WorkerView pull = view("pull", WorkerPhase.Healthy, 0);
    pull.worker().getSpec().setMode(WorkerMode.pull);
    WorkerView noAddress = view("nowhere", WorkerPhase.Healthy, 0);
    noAddress.worker().getSpec().setIpAddress(null);
    List<WorkerView> pool =
        List.of(
            view("offline", WorkerPhase.Offline, 0),
            view("draining", WorkerPhase.Draining, 0),
            view("busy", WorkerPhase.Healthy, 0.81),
            pull,
            noAddress);

    WorkerSelectionPolicy.Candidates c = policy.candidates(pool, new RouteRequest("vllm", null));

    assertThat(c.isEmpty()).isTrue();
    assertThat(c.pullWorkers()).containsExactly(pull);
    assertThat(c.excluded())
        .containsEntry("offline", "Offline")
        .containsEntry("draining", "Draining")
        .containsEntry("busy", "load 0.81 above the ceiling 0.80")
        .containsEntry("pull", "pull mode")
        .containsKey("nowhere");
    assertThat(policy.candidates(pool, new RouteRequest("rag", null)).excluded()).isEmpty();
  }

  @Test
  void degradedWorkersServeOnlyWhenNoHealthyOneIsLeft() {
    WorkerView healthy = view("healthy", WorkerPhase.Healthy, 0.5);
    WorkerView degraded = view("degraded", WorkerPhase.Degraded, 0);
    WorkerSelectionPolicy.Candidates c =
        policy.candidates(List.of(degraded, healthy), new RouteRequest("vllm", null));

    assertThat(picks(List.of(degraded, healthy), null, 100)).containsOnlyKeys("healthy");
    assertThat(policy.choose(c, ANY, Set.of("healthy"))).contains(degraded);
    assertThat(policy.choose(c, ANY, Set.of("healthy", "degraded"))).isEmpty();
  }

  @Test
  void aNamedModelGoesToItsWorkersElseToWorkersWithoutAModelList() {
    List<WorkerView> pool =
        List.of(
            view("llama", WorkerPhase.Healthy, 0, "llama-3"),
            view("mixtral", WorkerPhase.Healthy, 0, "mixtral", "mistral"),
            view("any", WorkerPhase.Healthy, 0));

    assertThat(picks(pool, "mistral", 50)).containsOnlyKeys("mixtral");
    assertThat(picks(pool, "phi-3", 50)).containsOnlyKeys("any");
    assertThat(picks(pool, null, 300)).containsOnlyKeys("llama", "mixtral", "any");
    WorkerSelectionPolicy.Candidates none =
        policy.candidates(
            List.of(view("llama", WorkerPhase.Healthy, 0, "llama-3")),
            new RouteRequest("vllm", "x"));
    assertThat(none.excluded()).containsEntry("llama", "does not serve model x");
    assertThat(none.unknownModel()).as("no worker has model x: a 404, not a 503").isTrue();
    assertThat(
            policy
                .candidates(
                    List.of(view("llama", WorkerPhase.Offline, 0, "llama-3")),
                    new RouteRequest("vllm", "llama-3"))
                .unknownModel())
        .as("the worker that has it is offline: a 503")
        .isFalse();
  }

  @Test
  void powerOfTwoChoicesPrefersFewerRequestsInFlightAndLowerLoad() {
    WorkerView a = view("a", WorkerPhase.Healthy, 0);
    WorkerView b = view("b", WorkerPhase.Healthy, 0);
    // two candidates: both are always compared, so the less busy one always wins
    try (InFlight.Lease l1 = inFlight.start("a");
        InFlight.Lease l2 = inFlight.start("a")) {
      assertThat(picks(List.of(a, b), null, 50)).containsOnlyKeys("b");
    }
    assertThat(inFlight.count("a")).isZero();
    // reported load counts too: 0.3 x 10 outweighs two requests in flight
    WorkerView loaded = view("loaded", WorkerPhase.Healthy, 0.3);
    try (InFlight.Lease l1 = inFlight.start("b");
        InFlight.Lease l2 = inFlight.start("b")) {
      assertThat(picks(List.of(loaded, b), null, 50)).containsOnlyKeys("b");
    }
  }

  @Test
  void equalWorkersShareTheLoadEvenly() {
    List<WorkerView> pool =
        List.of(
            view("a", WorkerPhase.Healthy, 0),
            view("b", WorkerPhase.Healthy, 0),
            view("c", WorkerPhase.Healthy, 0));
    Map<String, Integer> count = picks(pool, null, 3000);
    assertThat(count.values()).allSatisfy(n -> assertThat(n).isBetween(850, 1150));
  }

  @Test
  void candidatesAreWorkedOutOncePerPoolListAndEjectionState() {
    List<WorkerView> pool = new java.util.ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      pool.add(view("w" + i, WorkerPhase.Healthy, 0));
    }
    WorkerSelectionPolicy.Candidates first = policy.candidates(pool, new RouteRequest("vllm", "m"));
    assertThat(first.all()).hasSize(1000);
    assertThat(policy.candidates(pool, new RouteRequest("vllm", "m"))).isSameAs(first);
    assertThat(policy.candidates(pool, new RouteRequest("vllm", null))).isNotSameAs(first);
    assertThat(policy.candidates(List.copyOf(pool), new RouteRequest("vllm", "m")))
        .isNotSameAs(first);

    for (int i = 0; i < 3; i++) {
      ejection.failure("w7");
    }
    WorkerSelectionPolicy.Candidates afterEjection =
        policy.candidates(pool, new RouteRequest("vllm", "m"));
    assertThat(afterEjection.groups()).hasSize(2);
    assertThat(afterEjection.groups().get(1)).extracting(WorkerView::name).containsExactly("w7");
    assertThat(policy.candidates(pool, new RouteRequest("vllm", "m"))).isSameAs(afterEjection);

    clock.move(Duration.ofSeconds(30)); // the ejection runs out: seen with the same list
    assertThat(policy.candidates(pool, new RouteRequest("vllm", "m")).groups()).hasSize(1);
  }

  @Test
  void consecutiveFailuresEjectAWorkerUntilTheBackOffEnds() {
    WorkerView flaky = view("flaky", WorkerPhase.Healthy, 0);
    WorkerView steady = view("steady", WorkerPhase.Healthy, 0.5);
    List<WorkerView> pool = List.of(flaky, steady);

    assertThat(ejection.failure("flaky")).isEmpty();
    ejection.success("flaky"); // a success in between resets the count
    assertThat(ejection.failure("flaky")).isEmpty();
    assertThat(ejection.failure("flaky")).isEmpty();
    assertThat(ejection.failure("flaky")).contains(clock.instant().plusSeconds(30));
    assertThat(picks(pool, null, 50)).containsOnlyKeys("steady");

    // ejected workers are the last resort, never a reason for a 503
    assertThat(
            policy.choose(
                policy.candidates(pool, new RouteRequest("vllm", null)), ANY, Set.of("steady")))
        .contains(flaky);

    clock.move(Duration.ofSeconds(30));
    assertThat(ejection.ejected("flaky")).isFalse();
    assertThat(picks(pool, null, 50)).containsKey("flaky");
    // back from an ejection, one more failure ejects it again, for longer
    assertThat(ejection.failure("flaky")).contains(clock.instant().plusSeconds(60));
    clock.move(Duration.ofSeconds(59));
    assertThat(ejection.ejected("flaky")).isTrue();
    clock.move(Duration.ofSeconds(1));
    ejection.success("flaky");
    assertThat(ejection.failure("flaky")).isEmpty();
  }

  @Test
  void endpointIsTheTunnelElseTheAddressWithTheDeclaredOrCataloguePort() {
    var vllm =
        new io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition(
            "vllm", 1, "img", 8000, Map.of(), "/v1/completions", false);
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setIpAddress("10.0.0.7");
    assertThat(WorkerEndpoint.base(spec, vllm)).isEqualTo("http://10.0.0.7:8000");
    spec.setPort(9000);
    assertThat(WorkerEndpoint.base(spec, vllm)).isEqualTo("http://10.0.0.7:9000");
    spec.setIpAddress("fd00::7");
    assertThat(WorkerEndpoint.base(spec, vllm)).isEqualTo("http://[fd00::7]:9000");
    spec.setTunnelUrl("https://w1.example.trycloudflare.com/");
    assertThat(WorkerEndpoint.base(spec, vllm)).isEqualTo("https://w1.example.trycloudflare.com");
    assertThat(OpenAiService.openAiPrefix("/v1/completions")).isEqualTo("/v1");
    assertThat(OpenAiService.openAiPrefix("/openai/v1/completions")).isEqualTo("/openai/v1");
  }

  /** A clock that tests move by hand. */
  static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void move(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
