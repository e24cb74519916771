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
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's RBAC allows every API call the coordinator makes, and nothing else.
 *
 * <p>{@link #REQUIRED_API_CALLS} is the one list to keep up to date. For now it is written from the
 * design of Kubernetes mode (issue 3: web tier store, JOSDK reconciler, Events, Lease leader
 * election); once that code lands, replace it with the calls recorded by the Kubernetes-mode tests:
 * every request in the fabric8 mock server's log, turned into an {@link ApiCall} with {@link
 * ApiCall#fromRequest(String, String)} (method and path with query, as the log prints them).
 */
class RbacCoverageTest {
  /** Where the API calls go: the RMAWorkers' namespace or the pod's own (for the Lease). */
  enum Scope {
    WORKERS,
    POD
  }

  /** One kind of request: API group, resource (with subresource), verb, namespace scope. */
  record ApiCall(String group, String resource, String verb, Scope scope) {
    private static final Pattern PATH =
        Pattern.compile(
            "^/(?:api/v1|apis/(?<group>[^/]+)/[^/]+)"
                + "(?:/namespaces/(?<ns>[^/]+))?/(?<resource>[^/]+)(?:/(?<name>[^/]+)(?:/(?<sub>[^/]+))?)?$");

    /**
     * The API call behind one request, e.g. {@code GET
     * /apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?watch=true} is a watch on rmaworkers. The
     * scope is POD for Leases and WORKERS for everything else.
     */
    static ApiCall fromRequest(String method, String pathAndQuery) {
      URI uri = URI.create(pathAndQuery);
      Matcher m = PATH.matcher(uri.getPath());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a resource request: " + pathAndQuery);
      }
      String group = Optional.ofNullable(m.group("group")).orElse("");
      String resource = m.group("resource") + (m.group("sub") == null ? "" : "/" + m.group("sub"));
      boolean named = m.group("name") != null;
      String query = Optional.ofNullable(uri.getQuery()).orElse("");
      boolean watch = query.matches("(^|.*&)watch=(true|1)(&.*|$)");
      String verb =
          switch (method.toUpperCase(Locale.ROOT)) {
            case "GET" -> watch ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> throw new IllegalArgumentException("method " + method);
          };
      Scope scope = group.equals("coordination.k8s.io") ? Scope.POD : Scope.WORKERS;
      return new ApiCall(group, resource, verb, scope);
    }

    @Override
    public String toString() {
      return verb + " " + (group.isEmpty() ? "core" : group) + "/" + resource + " in " + scope;
    }
  }

  private static ApiCall call(String group, String resource, String verb, Scope scope) {
    return new ApiCall(group, resource, verb, scope);
  }

  /** Every API call the coordinator (web tier and operator) makes. The one list to maintain. */
  static final List<ApiCall> REQUIRED_API_CALLS =
      List.of(
          // Web tier store: register creates, unregister deletes, reads come from an informer.
          // The JOSDK reconciler watches the same objects and deletes pruned workers.
          call("rma.io", "rmaworkers", "get", Scope.WORKERS),
          call("rma.io", "rmaworkers", "list", Scope.WORKERS),
          call("rma.io", "rmaworkers", "watch", Scope.WORKERS),
          call("rma.io", "rmaworkers", "create", Scope.WORKERS),
          call("rma.io", "rmaworkers", "update", Scope.WORKERS),
          call("rma.io", "rmaworkers", "patch", Scope.WORKERS),
          call("rma.io", "rmaworkers", "delete", Scope.WORKERS),
          // Status: tier, services, phase, conditions (patch; update where a whole status is put).
          call("rma.io", "rmaworkers/status", "get", Scope.WORKERS),
          call("rma.io", "rmaworkers/status", "update", Scope.WORKERS),
          call("rma.io", "rmaworkers/status", "patch", Scope.WORKERS),
          // Events on phase changes (core API, as fabric8's client.v1().events() writes them).
          call("", "events", "create", Scope.WORKERS),
          call("", "events", "patch", Scope.WORKERS),
          // JOSDK / fabric8 leader election on a Lease in the pod's namespace.
          call("coordination.k8s.io", "leases", "get", Scope.POD),
          call("coordination.k8s.io", "leases", "list", Scope.POD),
          call("coordination.k8s.io", "leases", "watch", Scope.POD),
          call("coordination.k8s.io", "leases", "create", Scope.POD),
          call("coordination.k8s.io", "leases", "update", Scope.POD),
          call("coordination.k8s.io", "leases", "patch", Scope.POD));

  @Test
  void rbacAllowsEveryApiCallTheCoordinatorMakes() {
    for (String workers : List.of("rma", "workers")) {
      List<HasMetadata> objects = objects(render("--set", "config.namespace=" + workers));
      List<ApiCall> denied =
          REQUIRED_API_CALLS.stream().filter(c -> !allowed(objects, c, workers)).toList();
      assertThat(denied).as("calls the chart's RBAC denies (workers in " + workers + ")").isEmpty();
    }
  }

  @Test
  void rbacGrantsNothingBeyondThoseCalls() {
    List<HasMetadata> objects =
        objects(render("-f", "src/test/resources/deploy/all-settings.yaml"));
    assertThat(Manifests.ofType(objects, ClusterRole.class)).isEmpty();
    assertThat(Manifests.ofType(objects, ClusterRoleBinding.class)).isEmpty();
    Set<String> needed = new TreeSet<>();
    REQUIRED_API_CALLS.forEach(c -> needed.add(c.group() + "|" + c.resource() + "|" + c.verb()));
    Set<String> granted = new TreeSet<>();
    for (Role role : Manifests.ofType(objects, Role.class).toList()) {
      for (PolicyRule rule : role.getRules()) {
        assertThat(rule.getResourceNames()).isNullOrEmpty();
        assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              assertThat(List.of(group, resource, verb)).as("wildcard").doesNotContain("*");
              assertThat(resource)
                  .as("no Secrets: tokens reach the pod through secretKeyRef")
                  .isNotEqualTo("secrets");
              granted.add(group + "|" + resource + "|" + verb);
            }
          }
        }
      }
    }
    assertThat(granted).isEqualTo(needed);
  }

  @Test
  void leaderElectionOffDropsTheLeaseRule() {
    List<HasMetadata> objects = objects(render("--set", "leaderElection.enabled=false"));
    assertThat(allowed(objects, call("coordination.k8s.io", "leases", "get", Scope.POD), "rma"))
        .isFalse();
    assertThat(allowed(objects, call("rma.io", "rmaworkers", "watch", Scope.WORKERS), "rma"))
        .isTrue();
  }

  @Test
  void requestLogLinesBecomeApiCalls() {
    assertThat(
            ApiCall.fromRequest(
                "GET",
                "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?watch=true&resourceVersion=5"))
        .isEqualTo(call("rma.io", "rmaworkers", "watch", Scope.WORKERS));
    assertThat(
            ApiCall.fromRequest(
                "GET", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?resourceVersion=0"))
        .isEqualTo(call("rma.io", "rmaworkers", "list", Scope.WORKERS));
    assertThat(ApiCall.fromRequest("GET", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1"))
        .isEqualTo(call("rma.io", "rmaworkers", "get", Scope.WORKERS));
    assertThat(
            ApiCall.fromRequest(
                "PATCH", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1/status"))
        .isEqualTo(call("rma.io", "rmaworkers/status", "patch", Scope.WORKERS));
    assertThat(ApiCall.fromRequest("POST", "/api/v1/namespaces/rma/events"))
        .isEqualTo(call("", "events", "create", Scope.WORKERS));
    assertThat(
            ApiCall.fromRequest(
                "PUT", "/apis/coordination.k8s.io/v1/namespaces/rma/leases/rma-coordinator-leader"))
        .isEqualTo(call("coordination.k8s.io", "leases", "update", Scope.POD));
    assertThat(ApiCall.fromRequest("DELETE", "/apis/rma.io/v1alpha1/namespaces/rma/rmaworkers/w-1"))
        .isEqualTo(call("rma.io", "rmaworkers", "delete", Scope.WORKERS));
  }

  /**
   * Whether the Deployment's service account may make the call, judged as the API server's RBAC
   * authorizer would: some RoleBinding in the call's namespace binds the account to a Role there
   * whose rules match group, resource and verb.
   */
  static boolean allowed(List<HasMetadata> objects, ApiCall call, String workerNamespace) {
    Deployment deployment = single(objects, Deployment.class);
    String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
    String podNamespace = deployment.getMetadata().getNamespace();
    String namespace = call.scope() == Scope.POD ? podNamespace : workerNamespace;
    List<Role> roles = new ArrayList<>();
    for (RoleBinding binding : Manifests.ofType(objects, RoleBinding.class).toList()) {
      boolean bindsAccount =
          binding.getSubjects().stream()
              .anyMatch(
                  s ->
                      s.getKind().equals("ServiceAccount")
                          && s.getName().equals(account)
                          && podNamespace.equals(s.getNamespace()));
      if (!bindsAccount
          || !namespace.equals(binding.getMetadata().getNamespace())
          || !binding.getRoleRef().getKind().equals("Role")) {
        continue;
      }
      Manifests.ofType(objects, Role.class)
          .filter(r -> r.getMetadata().getName().equals(binding.getRoleRef().getName()))
          .filter(r -> namespace.equals(r.getMetadata().getNamespace()))
          .forEach(roles::add);
    }
    return roles.stream()
        .flatMap(r -> r.getRules().stream())
        .anyMatch(
            rule ->
                rule.getApiGroups().contains(call.group())
                    && rule.getResources().contains(call.resource())
                    && rule.getVerbs().contains(call.verb()));
  }
}
