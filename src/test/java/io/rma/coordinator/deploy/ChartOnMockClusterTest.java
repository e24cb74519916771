package io.rma.coordinator.deploy;

import static io.rma.coordinator.deploy.Manifests.single;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.deploy.Rbac.ApiCall;
import io.rma.coordinator.deploy.Rbac.Grant;
import io.rma.coordinator.kubernetes.MockCluster;
import io.rma.coordinator.runtime.KubernetesMode;
import io.rma.coordinator.runtime.ModeSelection;
import io.rma.coordinator.testing.Api;
import io.rma.coordinator.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart installed on fabric8's mock API server (CRUD mode) as {@code helm install} would: the
 * CRD first, then every object {@code helm template} renders, parsed into its fabric8 model class,
 * then the pods the Deployment would start. In each pod the coordinator runs in Kubernetes mode
 * configured exactly as the rendered container environment says (downward-API and Secret values
 * resolved as the kubelet would), authenticated as the chart's ServiceAccount. A worker pool's life
 * over real HTTP (register, heartbeats, re-register, Offline by the reconciler, prune, unregister)
 * drives the web tier, the reconciler, the Events and the leader election.
 *
 * <p>Every request the coordinators sent is then taken from the mock server's log: that list, not
 * one written by hand, is what the chart's Role and RoleBinding must allow — and all they may
 * grant, but for the exceptions named in {@link #UNUSED_BUT_REQUIRED}. The one call the chart does
 * not grant is JOSDK's SelfSubjectRulesReview, which Kubernetes' built-in {@code system:basic-user}
 * ClusterRole allows every authenticated account; the mock answers it with the rules the rendered
 * Roles give the account, as an API server would, so JOSDK's own permission check runs against the
 * chart.
 */
class ChartOnMockClusterTest {
  static {
    // Informers, JOSDK retries and the mock's event loop share two busy cores in CI.
    org.awaitility.Awaitility.setDefaultTimeout(java.time.Duration.ofSeconds(30));
  }

  private static final Logger LOG = System.getLogger(ChartOnMockClusterTest.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String GPU_WORKER =
      "{\"capabilities\":{\"cpu_cores\":8,\"ram\":\"31.2GB\",\"gpu_type\":\"NVIDIA RTX 4090\","
          + "\"gpu_memory\":\"24564MB\"},\"ip_address\":\"10.0.0.5\",\"port\":8000}";
  static final String CPU_WORKER =
      "{\"capabilities\":{\"cpu_cores\":4,\"ram\":\"16GB\"},\"ip_address\":\"10.0.0.6\"}";

  /** Cluster-scoped and allowed to every authenticated account by system:basic-user. */
  private static final ApiCall RULES_REVIEW =
      new ApiCall("authorization.k8s.io", "selfsubjectrulesreviews", "create", null, null);

  /**
   * Granted although no request uses it, and why. JOSDK's LeaderElectionManager checks, with a
   * SelfSubjectRulesReview, that get, create and update are allowed on the Lease and refuses to
   * start otherwise; fabric8's LeaseLock then renews and releases with a merge patch, never a PUT.
   */
  private static final Set<String> UNUSED_BUT_REQUIRED =
      Set.of("update coordination.k8s.io/leases");

  static Stream<Arguments> installs() {
    return Stream.of(
        Arguments.of("defaults: 2 replicas, leader election", List.of()),
        Arguments.of("workers in another namespace", List.of("--set", "config.namespace=workers")),
        Arguments.of(
            "1 replica, no leader election",
            List.of("--set", "replicaCount=1", "--set", "leaderElection.enabled=false")));
  }

  private KubernetesMockServer server;
  private NamespacedKubernetesClient admin;
  private final List<KubernetesMode> replicas = new ArrayList<>();
  private final List<KubernetesClient> clients = new ArrayList<>();
  private final Queue<String> lostLease = new ConcurrentLinkedQueue<>();

  @AfterEach
  void stop() {
    replicas.reversed().forEach(KubernetesMode::close);
    clients.forEach(KubernetesClient::close);
    if (admin != null) {
      admin.close();
    }
    if (server != null) {
      server.destroy();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void theChartsRbacAllowsEveryCallTheCoordinatorMakesAndNothingElse(
      String install, List<String> helmArgs) throws Exception {
    List<HasMetadata> objects =
        Manifests.objects(Manifests.render(helmArgs.toArray(String[]::new)));
    Deployment deployment = single(objects, Deployment.class);
    String namespace = deployment.getMetadata().getNamespace();
    PodTemplateSpec template = deployment.getSpec().getTemplate();
    String account = template.getSpec().getServiceAccountName();
    List<Grant> grants = Rbac.grants(objects, account, namespace);
    startMockApiServer(grants);

    // helm install: the CRD (crds/) first, then the templates.
    Manifests.ofType(objects, CustomResourceDefinition.class)
        .forEach(crd -> admin.resource(crd).create());
    objects.stream()
        .filter(o -> !(o instanceof CustomResourceDefinition))
        .forEach(o -> admin.resource(o).create());

    // The ReplicaSet's pods, and a coordinator in each, authenticated as the ServiceAccount.
    Map<String, String> podOfToken = new HashMap<>();
    List<String> pods = new ArrayList<>();
    Map<String, String> env = Map.of();
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    for (int i = 0; i < deployment.getSpec().getReplicas(); i++) {
      String pod = deployment.getMetadata().getName() + "-5f7d8c9b6-" + "abcde".charAt(i) + "x2q";
      admin
          .resource(
              new PodBuilder()
                  .withNewMetadataLike(template.getMetadata())
                  .withName(pod)
                  .withNamespace(namespace)
                  .endMetadata()
                  .withSpec(template.getSpec())
                  .build())
          .create();
      pods.add(pod);
      env = containerEnvironment(objects, template, pod, namespace);
      CoordinatorConfig config = ConfigLoader.load(env);
      boolean automount = Boolean.TRUE.equals(template.getSpec().getAutomountServiceAccountToken());
      ModeSelection mode =
          ModeSelection.select(
              config.mode(),
              List.of(),
              env,
              p -> automount && p.equals(ModeSelection.SERVICE_ACCOUNT_TOKEN));
      assertThat(mode.mode()).isEqualTo(CoordinatorConfig.Mode.kubernetes);
      String token = "token-of-" + pod; // a bound service account token is per pod
      podOfToken.put(token, pod);
      KubernetesClient client =
          server.createClient(
              b -> b.editOrNewConfig().withNamespace(namespace).withOauthToken(token).endConfig());
      clients.add(client);
      KubernetesMode replica =
          KubernetesMode.start(
              config,
              client,
              clock,
              KubernetesMode.Election.fromEnvironment(
                      config, env, ModeSelection.inCluster(env, p -> automount))
                  .withOnLostLease(() -> lostLease.add(pod)),
              0); // the container's port is config.port(); here any free one
      replicas.add(replica);
      if (i == 0) {
        await("the first replica leads").until(() -> replica.leadership().isLeader());
      }
    }
    KubernetesMode leader = replicas.get(0);
    String workerNamespace = ConfigLoader.load(env).namespace();

    // The Service sends traffic to the leader only; standbys are Ready but refuse the API.
    Service service = single(objects, Service.class);
    await().untilAsserted(() -> assertThat(podsSelectedBy(service)).containsExactly(pods.get(0)));
    // A scale-down (each step of a rolling update) stops a standby before the leader.
    assertThat(deletionCost(namespace, pods.get(0))).isEqualTo("1000");
    pods.subList(1, pods.size()).forEach(p -> assertThat(deletionCost(namespace, p)).isNull());
    for (KubernetesMode standby : replicas.subList(1, replicas.size())) {
      Api http = new Api(standby.server().port());
      assertThat(standby.leadership().isLeader()).isFalse();
      assertThat(http.get("/observe/health/ready", null).status()).isEqualTo(200);
      assertThat(http.get("/api/admin/workers", null).status()).isEqualTo(503);
      assertThat(http.get("/v1/models", null).status()).isEqualTo(503);
    }

    // A pool's life, over HTTP, with the tokens from the chart's Secret.
    Api http = new Api(leader.server().port());
    String joinToken = env.get("RMA_JOIN_TOKEN");
    String adminToken = env.get("RMA_ADMIN_TOKEN");
    JsonNode a = http.register(GPU_WORKER, joinToken);
    JsonNode b = http.register(CPU_WORKER, joinToken);
    for (int beat = 0; beat < 3; beat++) {
      assertThat(http.heartbeat(a, 0.25)).isEqualTo(200);
      assertThat(http.heartbeat(b, 0.25)).isEqualTo(200);
    }
    ObjectNode again = (ObjectNode) JSON.readTree(GPU_WORKER);
    again.put("worker_id", a.get("worker_id").asText());
    a = http.register(again.toString(), a.get("worker_token").asText()); // re-register: new spec
    assertThat(stored(workerNamespace, a).getStatus().getTier()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(100)); // b is silent past the offline window (90 s)
    assertThat(http.heartbeat(a, 0.25)).isEqualTo(200);
    leader.reconcileAll();
    JsonNode silent = b;
    await()
        .untilAsserted(
            () ->
                assertThat(stored(workerNamespace, silent).getStatus().getPhase())
                    .isEqualTo(WorkerPhase.Offline));
    await()
        .untilAsserted(
            () -> assertThat(eventReasons(workerNamespace, silent)).contains("WorkerOffline"));

    clock.advance(Duration.ofMinutes(30)); // ... and past the prune window
    assertThat(http.heartbeat(a, 0.25)).isEqualTo(200);
    leader.reconcileAll();
    await().untilAsserted(() -> assertThat(stored(workerNamespace, silent)).isNull());
    assertThat(stored(workerNamespace, a).getStatus().getPhase()).isEqualTo(WorkerPhase.Healthy);

    String id = a.get("worker_id").asText();
    assertThat(http.delete("/api/worker/unregister/" + id, a.get("worker_token").asText()).status())
        .isEqualTo(200);
    assertThat(stored(workerNamespace, a)).isNull();
    assertThat(http.get("/api/admin/workers", adminToken).body().get("total").asInt()).isZero();

    // Stop as a rollout would: standbys, then the leader, which unlabels its pod and, with
    // leader election, releases the Lease.
    for (KubernetesMode replica : replicas.reversed()) {
      replica.close();
    }
    replicas.clear();
    assertThat(podsSelectedBy(service)).isEmpty();
    assertThat(deletionCost(namespace, pods.get(0))).isNull();
    assertThat(lostLease).isEmpty();

    // The calls, from the mock server's log: those the coordinators' accounts made.
    Map<ApiCall, Integer> calls = new TreeMap<>(java.util.Comparator.comparing(ApiCall::toString));
    List<String> foreignPods = new ArrayList<>();
    for (RecordedRequest r : takeRequests()) {
      String auth = r.getHeader("Authorization");
      String pod = auth == null ? null : podOfToken.get(auth.replaceFirst("^Bearer ", ""));
      if (pod == null) {
        continue; // this test's own requests
      }
      ApiCall call = ApiCall.fromRequest(r.getMethod(), r.getPath());
      if (call.resource().equals("pods") && !pod.equals(call.name())) {
        foreignPods.add(pod + ": " + call);
      }
      calls.merge(normalized(call, pod), 1, Integer::sum);
    }
    LOG.log(
        Level.INFO,
        "API calls of the coordinator installed by the chart ("
            + install
            + "), from the mock server's log:\n"
            + calls.entrySet().stream()
                .map(e -> String.format("  %4d x %s", e.getValue(), e.getKey()))
                .collect(Collectors.joining("\n")));
    assertThat(foreignPods).as("a replica patches only its own pod").isEmpty();

    // Every call is allowed by the chart's RBAC, but JOSDK's review (system:basic-user's).
    List<ApiCall> recorded = calls.keySet().stream().map(c -> denormalized(c, pods)).toList();
    List<ApiCall> denied = recorded.stream().filter(c -> !Rbac.allowed(grants, c)).toList();
    boolean elects = ConfigLoader.load(env).leaderElection();
    assertThat(denied)
        .as("calls the chart's RBAC does not allow")
        .isEqualTo(elects ? List.of(RULES_REVIEW) : List.of());

    // Nothing is granted that no call used, but what JOSDK's permission check demands.
    List<String> unused =
        grants.stream()
            .filter(g -> recorded.stream().noneMatch(g::allows))
            .map(Grant::toString)
            .toList();
    LOG.log(Level.INFO, "granted but not used (" + install + "): " + unused);
    assertThat(unused)
        .allSatisfy(
            g ->
                assertThat(UNUSED_BUT_REQUIRED)
                    .as("unused grant " + g)
                    .anyMatch(u -> g.startsWith(u + " ")));
    assertThat(recorded)
        .as("the calls the issue names")
        .extracting(c -> c.verb() + " " + c.resource())
        .contains(
            "list rmaworkers",
            "watch rmaworkers",
            "create rmaworkers",
            "update rmaworkers",
            "delete rmaworkers",
            "patch rmaworkers/status",
            "create events",
            "patch pods");
    if (elects) {
      assertThat(recorded)
          .extracting(c -> c.verb() + " " + c.resource())
          .contains("get leases", "create leases", "patch leases");
    }
  }

  // --- the cluster

  private void startMockApiServer(List<Grant> grants) {
    server = MockCluster.crudServer();
    // The CRUD mock cannot review rules: answer as an API server would for this account.
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReply(201, request -> rulesReview(grants, request))
        .always();
    admin = server.createClient();
  }

  private static SelfSubjectRulesReview rulesReview(List<Grant> grants, RecordedRequest request) {
    String namespace;
    try {
      namespace = JSON.readTree(request.getUtf8Body()).path("spec").path("namespace").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<ResourceRule> rules = new ArrayList<>();
    // system:basic-user, bound to every authenticated account.
    rules.add(
        new ResourceRuleBuilder()
            .withApiGroups("authorization.k8s.io")
            .withResources("selfsubjectaccessreviews", "selfsubjectrulesreviews")
            .withVerbs("create")
            .build());
    for (Grant g : grants) {
      if (g.namespace().equals(namespace)) {
        rules.add(
            new ResourceRuleBuilder()
                .withApiGroups(g.group())
                .withResources(g.resource())
                .withVerbs(g.verb())
                .withResourceNames(g.resourceName() == null ? List.of() : List.of(g.resourceName()))
                .build());
      }
    }
    return new SelfSubjectRulesReviewBuilder()
        .withNewStatus()
        .withIncomplete(false)
        .withResourceRules(rules)
        .endStatus()
        .build();
  }

  /**
   * The container's environment as the kubelet gives it: the rendered env with fieldRef and
   * secretKeyRef resolved, plus what Kubernetes adds to every container.
   */
  private static Map<String, String> containerEnvironment(
      List<HasMetadata> objects, PodTemplateSpec template, String pod, String namespace) {
    Container container = template.getSpec().getContainers().get(0);
    assertThat(container.getEnvFrom()).isNullOrEmpty();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOSTNAME", pod);
    env.put("KUBERNETES_SERVICE_HOST", "10.43.0.1");
    env.put("KUBERNETES_SERVICE_PORT", "443");
    for (EnvVar e : container.getEnv()) {
      String value;
      if (e.getValueFrom() == null) {
        value = e.getValue() == null ? "" : e.getValue();
      } else if (e.getValueFrom().getFieldRef() != null) {
        value =
            switch (e.getValueFrom().getFieldRef().getFieldPath()) {
              case "metadata.name" -> pod;
              case "metadata.namespace" -> namespace;
              default -> throw new AssertionError("fieldRef " + e.getValueFrom().getFieldRef());
            };
      } else if (e.getValueFrom().getSecretKeyRef() != null) {
        var ref = e.getValueFrom().getSecretKeyRef();
        Secret secret =
            Manifests.ofType(objects, Secret.class)
                .filter(s -> s.getMetadata().getName().equals(ref.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no Secret " + ref.getName()));
        value =
            new String(
                Base64.getDecoder().decode(secret.getData().get(ref.getKey())),
                StandardCharsets.UTF_8);
      } else {
        throw new AssertionError("unexpected valueFrom in " + e);
      }
      assertThat(value).as(e.getName()).doesNotStartWith("/etc/rma/"); // no mounted files here
      env.put(e.getName(), value);
    }
    return env;
  }

  private List<String> podsSelectedBy(Service service) {
    Map<String, String> selector = service.getSpec().getSelector();
    return admin.pods().inNamespace(service.getMetadata().getNamespace()).list().getItems().stream()
        .filter(p -> p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
        .map(p -> p.getMetadata().getName())
        .toList();
  }

  private String deletionCost(String namespace, String pod) {
    Map<String, String> annotations =
        admin.pods().inNamespace(namespace).withName(pod).get().getMetadata().getAnnotations();
    return annotations == null
        ? null
        : annotations.get("controller.kubernetes.io/pod-deletion-cost");
  }

  private RMAWorker stored(String namespace, JsonNode worker) {
    return admin
        .resources(RMAWorker.class)
        .inNamespace(namespace)
        .withName(worker.get("worker_id").asText())
        .get();
  }

  private List<String> eventReasons(String namespace, JsonNode worker) {
    return admin.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(worker.get("worker_id").asText()))
        .map(Event::getReason)
        .toList();
  }

  private List<RecordedRequest> takeRequests() throws InterruptedException {
    List<RecordedRequest> all = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      all.add(r);
    }
    return all;
  }

  /** Worker names and the replica's own pod name vary from run to run: one line per kind. */
  private static ApiCall normalized(ApiCall call, String pod) {
    if (call.name() == null) {
      return call;
    }
    String name =
        call.name().startsWith("worker-")
            ? "<worker>"
            : call.name().equals(pod) ? "<own pod>" : call.name();
    return new ApiCall(call.group(), call.resource(), call.verb(), call.namespace(), name);
  }

  /** Back to a name the authorizer can judge (any worker, and a pod of this Deployment). */
  private static ApiCall denormalized(ApiCall call, List<String> pods) {
    if (call.name() == null) {
      return call;
    }
    String name =
        switch (call.name()) {
          case "<worker>" -> "worker-0123456789ab";
          case "<own pod>" -> pods.get(0);
          default -> call.name();
        };
    return new ApiCall(call.group(), call.resource(), call.verb(), call.namespace(), name);
  }
}
