package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Kubernetes mode's store: RMAWorker objects in the API server. Reads come from an informer cache;
 * writes go to the API server and return only once it accepted them.
 *
 * <p>The informer learns of a write a few milliseconds after the API server answered, so the store
 * also keeps its own latest writes (and deletions) until the informer has caught up with them: a
 * worker that registered can heartbeat at once, and an unregistered one is gone at once.
 *
 * <p>Status is a subresource: a create drops it, so registering is a create followed by a status
 * patch. Status patches are JSON Patches (no server-side apply: the fabric8 mock refuses it);
 * {@link #patchStatus} carries the resourceVersion it was computed from, so a status decided from a
 * stale copy fails with 409 instead of overwriting a newer one.
 *
 * <p>The web tier and the reconciler run in the same (leading) process and write the same objects,
 * so they take turns per worker: {@link #save} and {@link #delete} run inside {@link #exclusively},
 * and the reconciler decides and writes inside {@link #tryExclusively}, which steps aside while a
 * save of that worker is under way. Between the create and the first status write nobody else
 * decides for the worker, and when the save is over {@link #onSaved} listeners hear of it (the
 * reconciler then looks at the worker with the status the web tier wrote).
 */
public final class KubernetesWorkerStore implements WorkerStore {
  private final KubernetesClient client;
  private final String namespace;
  private final SharedIndexInformer<RMAWorker> informer;

  /** Our own writes the informer has not delivered yet; a null worker marks a deletion. */
  private final Map<String, Written> recent = new ConcurrentHashMap<>();

  private record Written(RMAWorker worker, long resourceVersion) {}

  /** Goes up with every informer event and own write: a kept list is current while it stands. */
  private final AtomicLong changes = new AtomicLong();

  private volatile Listed listed;

  private volatile Consumer<String> onGone = name -> {};

  private volatile Consumer<String> onSaved = name -> {};

  private final WorkerTurns turns = new WorkerTurns();

  public KubernetesWorkerStore(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    this.informer = workers().runnableInformer(0);
    informer.addEventHandler(new CatchUp());
  }

  /**
   * Starts the informer and waits until it has listed the namespace once; fails when the API server
   * cannot be reached or the CRD is not installed.
   */
  public KubernetesWorkerStore start(Duration timeout) {
    try {
      informer.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return this;
    } catch (Exception e) {
      informer.stop();
      throw new StoreException(
          "cannot list rmaworkers.rma.io in namespace "
              + namespace
              + " at "
              + client.getMasterUrl()
              + " (is the API server reachable, the CRD from crds/ installed, and may this"
              + " account list rmaworkers?): "
              + e.getMessage(),
          e);
    }
  }

  public String namespace() {
    return namespace;
  }

  /**
   * Called with a worker's name when the informer reports it deleted, by anyone (unregister, prune,
   * {@code kubectl delete}) and the store no longer holds it (not re-created since by our own
   * write). Runs on the informer's thread; must be quick.
   */
  public void onGone(Consumer<String> listener) {
    this.onGone = listener;
  }

  /**
   * Called with a worker's name after {@link #save} is over (succeeded or not), outside any lock;
   * must be quick.
   */
  public void onSaved(Consumer<String> listener) {
    this.onSaved = listener;
  }

  /** Runs {@code work} while no other thread writes worker {@code name} through this store. */
  public <T> T exclusively(String name, Supplier<T> work) {
    return turns.exclusively(name, work);
  }

  /**
   * Runs {@code work} like {@link #exclusively}, unless another thread holds worker {@code name} (a
   * save under way): then returns empty at once instead of waiting.
   */
  public <T> Optional<T> tryExclusively(String name, Supplier<T> work) {
    return turns.tryExclusively(name, work);
  }

  @Override
  public Optional<RMAWorker> get(String name) {
    RMAWorker cached = informer.getStore().getByKey(namespace + "/" + name);
    Written own = recent.get(name);
    if (own == null) {
      return Optional.ofNullable(cached);
    }
    if (cached == null ? own.worker() == null : version(cached) >= own.resourceVersion()) {
      recent.remove(name, own); // the informer has caught up
      return Optional.ofNullable(cached);
    }
    return Optional.ofNullable(own.worker());
  }

  /**
   * Every worker, by name. Routing lists the pool on every request, so the sorted list is kept
   * while the informer reported no change and there are no own writes it has not caught up with.
   */
  @Override
  public List<RMAWorker> list() {
    long version = changes.get();
    Listed kept = listed;
    boolean settled = recent.isEmpty();
    if (settled && kept != null && kept.version() == version) {
      return kept.workers();
    }
    Map<String, RMAWorker> all = new TreeMap<>();
    informer.getStore().list().forEach(w -> all.put(w.getMetadata().getName(), w));
    for (String name : recent.keySet()) {
      get(name).ifPresentOrElse(w -> all.put(name, w), () -> all.remove(name));
    }
    List<RMAWorker> result = List.copyOf(all.values());
    if (settled) {
      listed = new Listed(version, result);
    }
    return result;
  }

  /** The informer's change count while no own write waits for it; -1 (unknown) while one does. */
  @Override
  public long version() {
    return recent.isEmpty() ? changes.get() : -1;
  }

  /** A list made when {@link #changes} stood at {@code version}. */
  private record Listed(long version, List<RMAWorker> workers) {}

  /**
   * Creates the worker (or replaces the spec of the existing one), then writes its status. The
   * status was computed for this spec, so it is stamped with the generation the API server gave the
   * spec.
   */
  @Override
  public RMAWorker save(RMAWorker worker) {
    String name = worker.getMetadata().getName();
    try {
      return exclusively(name, () -> createOrReplace(worker));
    } finally {
      onSaved.accept(name);
    }
  }

  private RMAWorker createOrReplace(RMAWorker worker) {
    String name = worker.getMetadata().getName();
    RMAWorker stored =
        call(
            "save worker " + name,
            () -> {
              Optional<RMAWorker> existing = get(name);
              if (existing.isEmpty()) {
                RMAWorker body = new RMAWorker(name, worker.getSpec());
                body.getMetadata().setNamespace(namespace);
                body.getMetadata().setLabels(worker.getMetadata().getLabels());
                body.setStatus(null);
                return workers().resource(body).create();
              }
              // A PUT of the cached object with the new spec: replaces the spec exactly, keeps
              // labels and annotations, and fails (409) if the object changed meanwhile.
              RMAWorker body = client.getKubernetesSerialization().clone(existing.get());
              body.setSpec(worker.getSpec());
              return workers().resource(body).update();
            });
    remember(stored);
    if (worker.getStatus() == null) {
      return stored;
    }
    RMAWorkerStatus status = worker.getStatus().copy();
    Long generation = stored.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.getConditions().forEach(c -> c.setObservedGeneration(generation));
    // Unlocked: this status is the registration's answer and must land even if someone else (a
    // kubectl edit) changed the object since the create; the reconciler waits for its turn.
    return call("write the status of worker " + name, () -> writeStatus(stored, status, false));
  }

  /**
   * Writes {@code status} as the status of {@code basedOn}, failing with a {@link
   * KubernetesClientException} (409) when the object changed since {@code basedOn} was read.
   */
  public RMAWorker patchStatus(RMAWorker basedOn, RMAWorkerStatus status) {
    return writeStatus(basedOn, status, true);
  }

  /** Last write wins: for callers that decided the status without reading a particular version. */
  @Override
  public boolean updateStatus(String name, RMAWorkerStatus status) {
    Optional<RMAWorker> existing = get(name);
    if (existing.isEmpty()) {
      return false;
    }
    try {
      writeStatus(existing.get(), status, false);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw new StoreException("cannot update status of worker " + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean delete(String name) {
    return exclusively(
        name,
        () -> {
          Optional<RMAWorker> existing = get(name);
          boolean deleted =
              call("delete worker " + name, () -> !workers().withName(name).delete().isEmpty());
          long seen = existing.map(KubernetesWorkerStore::version).orElse(0L);
          recent.put(name, new Written(null, seen + 1));
          changes.incrementAndGet();
          return deleted;
        });
  }

  @Override
  public String kind() {
    return "kubernetes";
  }

  /** Ready once the informer has listed the namespace and its watch is open. */
  @Override
  public boolean ready() {
    return informer.hasSynced() && informer.isWatching();
  }

  @Override
  public void close() {
    informer.close();
  }

  private NonNamespaceOperation<RMAWorker, KubernetesResourceList<RMAWorker>, Resource<RMAWorker>>
      workers() {
    return client.resources(RMAWorker.class).inNamespace(namespace);
  }

  /**
   * A JSON Patch that sets {@code /status}; when locked, it also sets {@code
   * /metadata/resourceVersion} to the version the status was decided from, which the API server
   * takes as a precondition (409 when the object moved on). Not a merge patch: the fabric8 mock
   * merges arrays by appending, so conditions and services would pile up there.
   */
  private RMAWorker writeStatus(RMAWorker of, RMAWorkerStatus status, boolean locked) {
    KubernetesSerialization json = client.getKubernetesSerialization();
    String lock =
        locked
            ? "{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":"
                + json.asJson(of.getMetadata().getResourceVersion())
                + "},"
            : "";
    String patch =
        "[" + lock + "{\"op\":\"add\",\"path\":\"/status\",\"value\":" + json.asJson(status) + "}]";
    RMAWorker stored =
        workers()
            .resource(of) // with the item at hand, fabric8 does not GET it before patching
            .subresource("status")
            .patch(PatchContext.of(PatchType.JSON), patch);
    remember(stored);
    return stored;
  }

  private void remember(RMAWorker stored) {
    recent.put(stored.getMetadata().getName(), new Written(stored, version(stored)));
    changes.incrementAndGet();
  }

  /** resourceVersions are opaque to clients, but etcd's are increasing integers. */
  static long version(RMAWorker w) {
    try {
      return Long.parseLong(Objects.requireNonNullElse(w.getMetadata().getResourceVersion(), "0"));
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static <T> T call(String what, Supplier<T> op) {
    try {
      return op.get();
    } catch (KubernetesClientException e) {
      throw new StoreException("cannot " + what + ": " + e.getMessage(), e);
    }
  }

  /** Drops our own record of a write once the informer has delivered it or something newer. */
  private final class CatchUp implements ResourceEventHandler<RMAWorker> {
    @Override
    public void onAdd(RMAWorker w) {
      seen(w);
    }

    @Override
    public void onUpdate(RMAWorker old, RMAWorker w) {
      seen(w);
    }

    @Override
    public void onDelete(RMAWorker w, boolean finalStateUnknown) {
      changes.incrementAndGet();
      String name = w.getMetadata().getName();
      recent.computeIfPresent(name, (k, own) -> own.worker() == null ? null : own);
      if (get(name).isEmpty()) {
        onGone.accept(name);
      }
    }

    private void seen(RMAWorker w) {
      changes.incrementAndGet();
      long v = version(w);
      recent.computeIfPresent(
          w.getMetadata().getName(), (k, own) -> v >= own.resourceVersion() ? null : own);
    }
  }
}
