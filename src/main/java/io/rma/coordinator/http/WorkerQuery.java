package io.rma.coordinator.http;

import io.helidon.common.parameters.Parameters;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.WorkerView;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * The query of {@code GET /api/admin/workers}: filters ({@code phase}, {@code tier}, {@code
 * service}, {@code q}), an order ({@code sort}, {@code -} first for descending) and a page ({@code
 * limit}, {@code cursor}). Without {@code limit} or {@code cursor} every matching worker is
 * answered, as the original API did.
 *
 * <p>The cursor is the sort key and id of the last worker of a page: the next page starts after it,
 * so paging stays in order while workers join and leave (none is shown twice; one that moved past
 * the cursor is not shown again). A page of {@code limit} out of n workers costs one pass with a
 * heap of {@code limit}: O(n log limit), no sort of the whole pool.
 */
record WorkerQuery(
    Set<WorkerPhase> phases,
    Set<Integer> tiers,
    String service,
    String text,
    Sort sort,
    boolean descending,
    boolean sortGiven,
    Integer limit,
    Cursor after) {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern TEXT = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The orders a page can be sorted by; ties go by worker id. */
  enum Sort {
    WORKER_ID,
    TIER,
    PHASE,
    LOAD,
    IN_FLIGHT,
    LAST_HEARTBEAT,
    TASKS_COMPLETED,
    REGISTERED_AT;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Sort parse(String s) {
      String name = s.toLowerCase(Locale.ROOT);
      for (Sort o : values()) {
        if (o.wire().equals(name)) {
          return o;
        }
      }
      return switch (name) {
        case "id" -> WORKER_ID;
        case "current_load" -> LOAD;
        default -> {
          List<String> names = new ArrayList<>();
          for (Sort o : values()) {
            names.add(o.wire());
          }
          throw ApiException.unprocessable(
              "sort must be one of " + String.join(", ", names) + " (prefix - for descending)");
        }
      };
    }
  }

  /** Where the previous page ended: its sort and the last worker's key and id. */
  record Cursor(String sort, double key, String id) {
    String encode() {
      String raw = sort + "\n" + key + "\n" + id;
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String s) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
        String[] parts = raw.split("\n", -1);
        if (parts.length != 3 || parts[2].isEmpty()) {
          throw new IllegalArgumentException();
        }
        return new Cursor(parts[0], Double.parseDouble(parts[1]), parts[2]);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(
            "cursor is not one this API gave out: pass next_cursor from the previous page as is");
      }
    }
  }

  /** One page: the workers on it, how many matched in all, and the cursor of the next page. */
  record Page(List<WorkerView> workers, int matched, String nextCursor) {}

  /** Whether the caller asked for paging (the unpaged answer stays the default). */
  boolean paged() {
    return limit != null;
  }

  static WorkerQuery parse(Parameters query) {
    Set<WorkerPhase> phases = EnumSet.noneOf(WorkerPhase.class);
    for (String p : list(query, "phase")) {
      phases.add(phase(p));
    }
    Set<Integer> tiers = new TreeSet<>();
    for (String t : list(query, "tier")) {
      tiers.add(tier(t));
    }
    String service = single(query, "service");
    if (service != null && !SERVICE.matcher(service).matches()) {
      throw ApiException.unprocessable("service must be a service name such as vllm or rag");
    }
    String text = single(query, "q");
    if (text != null && !TEXT.matcher(text).matches()) {
      throw ApiException.unprocessable(
          "q must be 1 to 64 letters, digits, '.', '_' or '-' (part of a worker id)");
    }
    String sortParam = single(query, "sort");
    boolean descending = sortParam != null && sortParam.startsWith("-");
    Sort sort =
        sortParam == null
            ? Sort.WORKER_ID
            : Sort.parse(descending ? sortParam.substring(1) : sortParam);
    String limitParam = single(query, "limit");
    String cursorParam = single(query, "cursor");
    Integer limit = null;
    if (limitParam != null) {
      try {
        limit = Integer.parseInt(limitParam.trim());
      } catch (NumberFormatException e) {
        throw ApiException.unprocessable("limit must be a whole number from 1 to " + MAX_LIMIT);
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ApiException.unprocessable("limit must be a whole number from 1 to " + MAX_LIMIT);
      }
    } else if (cursorParam != null) {
      limit = DEFAULT_LIMIT;
    }
    Cursor after = null;
    if (cursorParam != null) {
      after = Cursor.decode(cursorParam);
      String expected = (descending ? "-" : "") + sort.wire();
      if (!after.sort().equals(expected)) {
        throw ApiException.badRequest(
            "cursor was given for sort=" + after.sort() + ", not sort=" + expected);
      }
    }
    return new WorkerQuery(
        phases, tiers, service, text, sort, descending, sortParam != null, limit, after);
  }

  private static WorkerPhase phase(String p) {
    for (WorkerPhase phase : WorkerPhase.values()) {
      if (phase.name().equalsIgnoreCase(p)) {
        return phase;
      }
    }
    throw ApiException.unprocessable(
        "phase must be one of Healthy, Degraded, Offline, Draining (comma-separated)");
  }

  private static int tier(String t) {
    return switch (t) {
      case "1" -> 1;
      case "2" -> 2;
      case "3" -> 3;
      default -> throw ApiException.unprocessable("tier must be 1, 2 or 3 (comma-separated)");
    };
  }

  private static List<String> list(Parameters query, String name) {
    List<String> out = new ArrayList<>();
    for (String v : query.all(name, List::of)) {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }

  private static String single(Parameters query, String name) {
    List<String> all = query.all(name, List::of);
    if (all.size() > 1) {
      throw ApiException.unprocessable(name + " may be given once");
    }
    return all.isEmpty() || all.getFirst().isBlank() ? null : all.getFirst();
  }

  boolean matches(WorkerView v) {
    if (!phases.isEmpty() && !phases.contains(v.phase())) {
      return false;
    }
    if (!tiers.isEmpty() && !tiers.contains(tierOf(v))) {
      return false;
    }
    if (service != null && !v.services().contains(service)) {
      return false;
    }
    return text == null
        || v.name().toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT));
  }

  private static Integer tierOf(WorkerView v) {
    RMAWorkerStatus s = v.worker().getStatus();
    return s == null ? null : s.getTier();
  }

  /** A worker with its sort key worked out once (NaN: it has none, and sorts last). */
  private record Row(WorkerView view, double key, String id) {}

  /**
   * The workers that match, in order, all of them or one page. A row that cannot make the page (not
   * before the page's last so far) costs one comparison and no allocation, so a page out of 10,000
   * workers is one cheap pass.
   */
  Page select(List<WorkerView> all, ToIntFunction<String> inFlight) {
    Comparator<Row> order = this::compare;
    int matched = 0;
    int afterCursor = 0;
    // With a limit: the first `limit` rows after the cursor, in a heap whose head is the last.
    PriorityQueue<Row> page =
        limit == null ? null : new PriorityQueue<>(limit + 1, order.reversed());
    List<Row> every = limit == null ? new ArrayList<>() : null;
    for (WorkerView v : all) {
      if (!matches(v)) {
        continue;
      }
      matched++;
      double key = key(v, inFlight);
      String id = v.name();
      if (after != null && compare(key, id, after.key(), after.id()) <= 0) {
        continue;
      }
      afterCursor++;
      if (page == null) {
        every.add(new Row(v, key, id));
      } else if (page.size() < limit) {
        page.add(new Row(v, key, id));
      } else if (compare(key, id, page.peek().key(), page.peek().id()) < 0) {
        page.poll();
        page.add(new Row(v, key, id));
      }
    }
    List<Row> rows = page == null ? every : new ArrayList<>(page);
    if (page != null || sortGiven) {
      rows.sort(order);
    }
    String next = null;
    if (limit != null && afterCursor > rows.size()) {
      Row last = rows.getLast();
      next = new Cursor(sortName(), last.key(), last.id()).encode();
    }
    return new Page(rows.stream().map(Row::view).toList(), matched, next);
  }

  /** The order as the request named it, e.g. {@code -load}. */
  String sortName() {
    return (descending ? "-" : "") + sort.wire();
  }

  private int compare(Row a, Row b) {
    return compare(a.key(), a.id(), b.key(), b.id());
  }

  /** By key (none: last, whichever the direction), then by id; both reversed for descending. */
  private int compare(double keyA, String idA, double keyB, String idB) {
    boolean na = Double.isNaN(keyA);
    boolean nb = Double.isNaN(keyB);
    int byKey;
    if (na || nb) {
      byKey = na == nb ? 0 : na ? 1 : -1;
    } else {
      byKey = descending ? Double.compare(keyB, keyA) : Double.compare(keyA, keyB);
    }
    if (byKey != 0) {
      return byKey;
    }
    return descending ? idB.compareTo(idA) : idA.compareTo(idB);
  }

  private double key(WorkerView v, ToIntFunction<String> inFlight) {
    RMAWorkerStatus s = v.worker().getStatus();
    return switch (sort) {
      case WORKER_ID -> 0;
      case TIER -> s == null || s.getTier() == null ? Double.NaN : s.getTier();
      case PHASE -> v.phase().ordinal();
      case LOAD -> v.load() == null ? Double.NaN : v.load();
      case IN_FLIGHT -> inFlight == null ? Double.NaN : inFlight.applyAsInt(v.name());
      case LAST_HEARTBEAT -> v.lastSeen().toEpochMilli();
      case TASKS_COMPLETED ->
          s == null || s.getTasksCompleted() == null ? 0 : s.getTasksCompleted();
      case REGISTERED_AT -> millis(s == null ? null : s.getRegisteredAt());
    };
  }

  private static double millis(String instant) {
    if (instant == null) {
      return Double.NaN;
    }
    try {
      return Instant.parse(instant).toEpochMilli();
    } catch (DateTimeParseException e) {
      return Double.NaN;
    }
  }
}
