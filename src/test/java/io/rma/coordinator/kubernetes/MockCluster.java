package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * fabric8's mock API server in CRUD mode, with the checked-in CRD registered (so status is a
 * subresource, as on a real API server), and its request log readable.
 */
public final class MockCluster implements AutoCloseable {
  static final String NAMESPACE = "test";

  final KubernetesMockServer server;
  final NamespacedKubernetesClient client;

  /**
   * fabric8's mock API server in CRUD mode, started; expectations can still be added for what CRUD
   * mode cannot answer (a mixed dispatcher).
   */
  public static KubernetesMockServer crudServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    return server;
  }

  MockCluster() {
    // Informers, JOSDK retries and the mock's event loop share two busy cores in CI: wait longer
    // than Awaitility's 10 s default before calling a reconcile lost.
    org.awaitility.Awaitility.setDefaultTimeout(java.time.Duration.ofSeconds(30));
    server = crudServer();
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
    client.close();
    server.destroy();
  }
}
