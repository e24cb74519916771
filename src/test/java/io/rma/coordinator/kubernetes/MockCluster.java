package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * fabric8's mock API server in CRUD mode, with the checked-in CRD registered (so status is a
 * subresource, as on a real API server), and its request log readable.
 */
public final class MockCluster implements AutoCloseable {
  static final String NAMESPACE = "test";

  final KubernetesMockServer server;
  final NamespacedKubernetesClient client;

  /** What the mock answered, oldest first: every request and the status code it got. */
  final List<Answer> answers;

  /** One request (its body as sent, empty for none) and the status code the mock answered. */
  record Answer(String method, String path, String body, int code) {}

  /**
   * fabric8's mock API server in CRUD mode, started; expectations can still be added for what CRUD
   * mode cannot answer (a mixed dispatcher).
   */
  public static KubernetesMockServer crudServer() {
    return crudServer(answer -> {});
  }

  /** The same, telling {@code answered} of every answer the mock gives (on its event loop). */
  static KubernetesMockServer crudServer(Consumer<Answer> answered) {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses) {
              @Override
              public MockResponse dispatch(RecordedRequest request) {
                // Read before the CRUD dispatcher consumes it.
                String body =
                    request.getBody() == null
                        ? ""
                        : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
                MockResponse response = super.dispatch(request);
                answered.accept(
                    new Answer(request.getMethod(), request.getPath(), body, response.code()));
                return response;
              }
            },
            false);
    server.init();
    return server;
  }

  private final List<NamespacedKubernetesClient> others = new CopyOnWriteArrayList<>();

  MockCluster() {
    // Informers, JOSDK retries and the mock's event loop share two busy cores in CI: wait longer
    // than Awaitility's 10 s default before calling a reconcile lost.
    org.awaitility.Awaitility.setDefaultTimeout(java.time.Duration.ofSeconds(30));
    List<Answer> log = new CopyOnWriteArrayList<>();
    answers = log;
    server = crudServer(log::add);
    client = server.createClient();
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .load(Path.of("crds/rmaworkers.rma.io-v1.yml").toFile())
        .create();
    // JOSDK checks its Lease permissions with a SelfSubjectRulesReview before electing.
    SelfSubjectRulesReview review =
        new SelfSubjectRulesReviewBuilder()
            .withNewStatus()
            .withIncomplete(false)
            .withResourceRules(
                new ResourceRuleBuilder()
                    .withApiGroups("coordination.k8s.io")
                    .withResources("leases")
                    .withVerbs("get", "create", "update", "patch")
                    .build())
            .endStatus()
            .build();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, review)
        .always();
  }

  /** Every request the server received since the last call, oldest first. */
  List<RecordedRequest> takeRequests() throws InterruptedException {
    List<RecordedRequest> all = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      all.add(r);
    }
    return all;
  }

  /**
   * Another client of this server (its own connections and threads), built through {@code
   * customizer} (e.g. to add an interceptor); closed with the cluster.
   */
  NamespacedKubernetesClient newClient(Consumer<KubernetesClientBuilder> customizer) {
    NamespacedKubernetesClient c = server.createClient(customizer);
    others.add(c);
    return c;
  }

  /** How many answers so far had {@code code}. */
  long answered(int code) {
    return answers.stream().filter(a -> a.code() == code).count();
  }

  static boolean isWrite(RecordedRequest r) {
    return switch (r.getMethod()) {
      case "POST", "PUT", "PATCH", "DELETE" -> true;
      default -> false;
    };
  }

  @Override
  public void close() {
    try {
      takeRequests()
          .forEach(
              r ->
                  System.getLogger("API")
                      .log(
                          System.Logger.Level.INFO,
                          "CALL "
                              + r.getMethod()
                              + " "
                              + r.getPath()
                                  .replaceAll("\\?.*", "")
                                  .replaceAll("worker-[0-9a-f]+", "W")
                                  .replaceAll("(events/)[^/]+", "$1E")));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    others.forEach(NamespacedKubernetesClient::close);
    client.close();
    server.destroy();
  }
}
