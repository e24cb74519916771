package io.rma.coordinator.pool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Standalone mode's store: every worker in memory, and, when a database file is configured, each
 * write committed to it before the call returns. Reads never touch the file.
 *
 * <p>Stored objects are treated as immutable: a write replaces the object in the map, so readers on
 * other threads see either the old or the new worker, never a half-written one. Callers must not
 * change what {@link #get} and {@link #list} return.
 */
public final class StandaloneWorkerStore implements WorkerStore {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final ConcurrentHashMap<String, RMAWorker> workers = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();
  private final SqliteWorkerRepository repository;
  private final String namespace;
  private final Clock clock;

  /**
   * @param repository the database file, or null to keep workers in memory only
   */
  public StandaloneWorkerStore(SqliteWorkerRepository repository, String namespace, Clock clock) {
    this.repository = repository;
    this.namespace = namespace;
    this.clock = clock;
    if (repository != null) {
      for (String doc : repository.loadAll()) {
        RMAWorker w = read(doc);
        workers.put(w.getMetadata().getName(), w);
      }
    }
  }

  /** How many workers were loaded from the file at start, or are held now. */
  public int size() {
    return workers.size();
  }

  @Override
  public synchronized RMAWorker save(RMAWorker worker) {
    RMAWorker copy = copy(worker);
    String name = copy.getMetadata().getName();
    RMAWorker existing = workers.get(name);
    copy.getMetadata().setNamespace(namespace);
    if (existing == null) {
      copy.getMetadata().setGeneration(1L);
      copy.getMetadata().setUid(UUID.randomUUID().toString());
      copy.getMetadata().setCreationTimestamp(clock.instant().toString());
    } else {
      long generation = Objects.requireNonNullElse(existing.getMetadata().getGeneration(), 1L);
      boolean specChanged = !write(existing.getSpec()).equals(write(copy.getSpec()));
      copy.getMetadata().setGeneration(specChanged ? generation + 1 : generation);
      copy.getMetadata().setUid(existing.getMetadata().getUid());
      copy.getMetadata().setCreationTimestamp(existing.getMetadata().getCreationTimestamp());
    }
    persist(copy);
    workers.put(name, copy);
    version.incrementAndGet();
    return copy;
  }

  @Override
  public Optional<RMAWorker> get(String name) {
    return Optional.ofNullable(workers.get(name));
  }

  @Override
  public long version() {
    return version.get();
  }

  @Override
  public List<RMAWorker> list() {
    return List.copyOf(workers.values());
  }

  @Override
  public synchronized boolean delete(String name) {
    if (!workers.containsKey(name)) {
      return false;
    }
    if (repository != null) {
      repository.delete(name);
    }
    workers.remove(name);
    version.incrementAndGet();
    return true;
  }

  @Override
  public synchronized boolean updateStatus(String name, RMAWorkerStatus status) {
    RMAWorker existing = workers.get(name);
    if (existing == null) {
      return false;
    }
    RMAWorker next = copy(existing);
    next.setStatus(status.copy());
    persist(next);
    workers.put(name, next);
    version.incrementAndGet();
    return true;
  }

  @Override
  public String kind() {
    return repository == null ? "memory" : "sqlite";
  }

  @Override
  public boolean ready() {
    return repository == null || repository.ready();
  }

  @Override
  public Optional<String> problem() {
    return repository == null ? Optional.empty() : repository.problem();
  }

  @Override
  public void close() {
    if (repository != null) {
      repository.close();
    }
  }

  private void persist(RMAWorker w) {
    if (repository != null) {
      repository.upsert(w.getMetadata().getName(), write(w));
    }
  }

  private static RMAWorker copy(RMAWorker w) {
    return read(write(w));
  }

  private static String write(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static RMAWorker read(String doc) {
    try {
      return JSON.readValue(doc, RMAWorker.class);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
