package io.rma.coordinator.deploy;

import static io.rma.coordinator.deploy.Manifests.objects;
import static io.rma.coordinator.deploy.Manifests.render;
import static io.rma.coordinator.deploy.Manifests.single;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.rma.coordinator.deploy.Rbac.ApiCall;
import io.rma.coordinator.deploy.Rbac.Grant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shape of the chart's RBAC, for every way of rendering it: namespaced only, no wildcards, no
 * Secrets, every Role bound to the coordinator's account. Whether the rules fit the API calls the
 * coordinator makes is {@link ChartOnMockClusterTest}'s question: it records them from a real run.
 * The authorizer both use ({@link Rbac}) is checked here.
 */
class RbacCoverageTest {
  private static final List<List<String>> RENDERS =
      List.of(
          List.of(),
          List.of("-f", "src/test/resources/deploy/all-settings.yaml"),
          List.of("--set", "config.namespace=workers"),
          List.of("--set", "leaderElection.enabled=false", "--set", "replicaCount=1"));

  @Test
  void rbacIsNamespacedWithoutWildcardsOrSecretsAndBoundToTheCoordinatorOnly() {
    for (List<String> args : RENDERS) {
      List<HasMetadata> objects = objects(render(args.toArray(String[]::new)));
      assertThat(Manifests.ofType(objects, ClusterRole.class)).as("%s", args).isEmpty();
      assertThat(Manifests.ofType(objects, ClusterRoleBinding.class)).as("%s", args).isEmpty();
      Deployment deployment = single(objects, Deployment.class);
      String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
      for (RoleBinding binding : Manifests.ofType(objects, RoleBinding.class).toList()) {
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getSubjects())
            .singleElement()
            .satisfies(s -> assertThat(s.getName()).isEqualTo(account))
            .satisfies(s -> assertThat(s.getNamespace()).isEqualTo(Manifests.NAMESPACE))
            .satisfies(s -> assertThat(s.getKind()).isEqualTo("ServiceAccount"));
      }
      for (Role role : Manifests.ofType(objects, Role.class).toList()) {
        assertThat(Manifests.ofType(objects, RoleBinding.class))
            .as("a binding for Role " + role.getMetadata().getName())
            .anyMatch(
                b ->
                    b.getRoleRef().getName().equals(role.getMetadata().getName())
                        && b.getMetadata()
                            .getNamespace()
                            .equals(role.getMetadata().getNamespace()));
        for (PolicyRule rule : role.getRules()) {
          assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
          for (Grant g : Rbac.expand(role.getMetadata().getNamespace(), rule)) {
            assertThat(List.of(g.group(), g.resource(), g.verb()))
                .as("wildcard")
                .doesNotContain("*");
            assertThat(g.resource())
                .as("no Secrets: tokens reach the pod through secretKeyRef")
                .isNotEqualTo("secrets");
            if (g.resourceName() != null) {
              assertThat(g.verb()).as("resourceNames never match a create").isNotEqualTo("create");
            }
          }
        }
      }
    }
  }

  @Test
  void leaderElectionOffDropsTheLeaseRulesButNotTheLeaderLabel() {
    List<HasMetadata> objects =
        objects(render("--set", "leaderElection.enabled=false", "--set", "replicaCount=1"));
    List<Grant> grants = Rbac.grants(objects, "rma-coordinator", "rma");
    assertThat(grants).noneMatch(g -> g.resource().equals("leases"));
    assertThat(
            Rbac.allowed(grants, ApiCall.fromRequest("PATCH", "/api/v1/namespaces/rma/pods/p-1")))
        .isTrue();
  }

  @Test
  void requestLogLinesBecomeApiCalls() {
    assertThat(
            ApiCall.fromRequest(
                "GET",
                "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?watch=true&resourceVersion=5"))
        .isEqualTo(new ApiCall("rma.io", "rmaworkers", "watch", "rma", null));
    assertThat(
            ApiCall.fromRequest(
                "GET", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?resourceVersion=0"))
        .isEqualTo(new ApiCall("rma.io", "rmaworkers", "list", "rma", null));
    assertThat(ApiCall.fromRequest("GET", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1"))
        .isEqualTo(new ApiCall("rma.io", "rmaworkers", "get", "rma", "w-1"));
    assertThat(
            ApiCall.fromRequest(
                "PATCH", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1/status"))
        .isEqualTo(new ApiCall("rma.io", "rmaworkers/status", "patch", "rma", "w-1"));
    assertThat(ApiCall.fromRequest("POST", "/api/v1/namespaces/rma/events"))
        .isEqualTo(new ApiCall("", "events", "create", "rma", null));
    assertThat(
            ApiCall.fromRequest(
                "PUT", "/apis/coordination.k8s.io/v1/namespaces/rma/leases/rma-coordinator"))
        .isEqualTo(
            new ApiCall("coordination.k8s.io", "leases", "update", "rma", "rma-coordinator"));
    assertThat(ApiCall.fromRequest("DELETE", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1"))
        .isEqualTo(new ApiCall("rma.io", "rmaworkers", "delete", "rma", "w-1"));
    assertThat(ApiCall.fromRequest("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"))
        .isEqualTo(
            new ApiCall("authorization.k8s.io", "selfsubjectrulesreviews", "create", null, null));
  }

  @Test
  void theAuthorizerHonoursNamespacesAndResourceNamesAsTheApiServerDoes() {
    List<HasMetadata> objects = objects(render("--set", "config.namespace=workers"));
    List<Grant> grants = Rbac.grants(objects, "rma-coordinator", "rma");
    String lease = "/apis/coordination.k8s.io/v1/namespaces/rma/leases";
    String workers = "/apis/rma.io/v1alpha1/namespaces/workers/rmaworkers";

    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("PATCH", lease + "/rma-coordinator")))
        .isTrue();
    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("PATCH", lease + "/another-lease")))
        .as("resourceNames")
        .isFalse();
    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("POST", lease))).isTrue();
    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("GET", lease))).as("list").isFalse();
    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("GET", workers + "?watch=true"))).isTrue();
    assertThat(
            Rbac.allowed(
                grants,
                ApiCall.fromRequest(
                    "GET", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?watch=true")))
        .as("workers' rules only in the workers' namespace")
        .isFalse();
    assertThat(
            Rbac.allowed(
                grants, ApiCall.fromRequest("PATCH", "/api/v1/namespaces/workers/pods/p-1")))
        .as("pods only in the release's namespace")
        .isFalse();
    assertThat(Rbac.allowed(grants, ApiCall.fromRequest("GET", "/api/v1/namespaces/rma/secrets")))
        .isFalse();
    assertThat(Rbac.grants(objects, "default", "rma")).as("another account").isEmpty();
  }
}
