// The RMA Coordinator dashboard: plain JavaScript over the admin API, no build step.
// Paging, sorting and filtering of workers happen on the server (GET /api/admin/workers?limit=...),
// so the page stays light with tens of thousands of workers.
(function () {
  "use strict";

  const TOKEN_KEY = "rma-admin-token"; // sessionStorage: this tab only, gone when it closes
  const REFRESH_MS = 5000;
  const TIER_NAMES = { "1": "GPU", "2": "service", "3": "data", none: "not tiered yet" };
  const PHASES = ["Healthy", "Degraded", "Offline", "Draining"];
  const COLORS = ["#3157d5", "#1f9d55", "#d68a00", "#d64545", "#7b4fd6", "#0f9bb0", "#b5479a", "#5f6b7a"];

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    sort: "worker_id",
    desc: false,
    cursors: [], // cursors of the pages before this one
    cursor: null,
    next: null,
    timer: null,
    busy: false,
    again: false,
    chart: null,
    chartRoutes: "",
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c);
    }
    return e;
  }

  class Unauthorized extends Error {}

  async function api(path, options) {
    const headers = Object.assign({ Accept: "application/json" }, (options && options.headers) || {});
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const res = await fetch(path, Object.assign({}, options, { headers }));
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (res.status === 401) throw new Unauthorized((body && body.detail) || "unauthorized");
    if (!res.ok) throw new Error((body && body.detail) || res.status + " " + res.statusText);
    return body;
  }

  // ---- formatting -------------------------------------------------------------------------------

  function age(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return seconds + "s ago";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m " + (seconds % 60) + "s ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + Math.floor((seconds % 3600) / 60) + "m ago";
    return Math.floor(seconds / 86400) + "d ago";
  }

  function number(n) {
    return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString("en-GB", { hour12: false });
  }

  function fixed(n, digits) {
    return n === null || n === undefined ? "–" : Number(n).toFixed(digits);
  }

  // ---- rendering ------------------------------------------------------------------------------

  function renderStats(s) {
    $("t-total").textContent = number(s.total_workers);
    $("t-healthy").textContent = number(s.healthy_workers);
    $("t-degraded").textContent = number(s.degraded_workers);
    $("t-offline").textContent = number(s.offline_workers);
    $("t-draining").textContent = number(s.draining_workers);
    $("t-load").textContent = Math.round((s.average_load || 0) * 100) + "%";
    $("t-tasks").textContent = number(s.total_tasks_completed);
    const up = s.uptime_seconds || 0;
    $("subtitle").textContent =
      s.mode + " mode · up " + age(up).replace(" ago", "") + " · " + number(s.total_workers) + " workers";

    const body = $("matrix").tBodies[0];
    body.replaceChildren();
    const byTier = s.workers_by_tier_and_phase || {};
    for (const tier of ["1", "2", "3", "none"]) {
      const phases = byTier[tier] || {};
      const total = PHASES.reduce((a, p) => a + (phases[p] || 0), 0);
      if (tier === "none" && total === 0) continue;
      const row = el("tr", { "data-tier": tier },
        el("td", { class: "tiername" }, tier === "none" ? "–" : "Tier " + tier, el("small", { text: TIER_NAMES[tier] })));
      for (const p of PHASES) {
        const n = phases[p] || 0;
        row.append(el("td", { class: n === 0 ? "zero" : "", "data-phase": p, text: number(n) }));
      }
      row.append(el("td", { text: number(total) }));
      body.append(row);
    }
    const names = $("service-names");
    names.replaceChildren(...Object.keys(s.workers_by_service || {}).map((n) => el("option", { value: n })));
  }

  function loadBar(load) {
    if (load === null || load === undefined) return el("span", { class: "muted", text: "–" });
    const pct = Math.max(0, Math.min(100, Math.round(load * 100)));
    const fill = el("span", { class: pct >= 80 ? "hot" : pct >= 60 ? "warm" : "" });
    fill.style.width = pct + "%";
    return el("div", { class: "load", title: "reported load " + load },
      el("div", { class: "bar" }, fill), el("span", { class: "pct", text: pct + "%" }));
  }

  function renderWorkers(page) {
    const canDrain = Boolean(state.token);
    $("drain-col").hidden = !canDrain;
    const body = $("workers").tBodies[0];
    body.replaceChildren();
    for (const w of page.workers) {
      const row = el("tr", { "data-worker": w.worker_id, "data-phase": w.phase });
      row.append(
        el("td", { class: "worker-id", text: w.worker_id, title: w.ip_address || w.tunnel_url || "" }),
        el("td", { class: "tier", text: w.tier === null || w.tier === undefined ? "–" : String(w.tier) }),
        el("td", { class: "phase" }, el("span", { class: "pill " + w.phase, text: w.phase })),
        el("td", { class: "services" }, ...(w.services || []).map((s) => el("span", { class: "chip", text: s }))),
        el("td", { class: "models" }, ...(w.models || []).map((m) => el("span", { class: "chip model", text: m }))),
        el("td", {}, loadBar(w.current_load)),
        el("td", { class: "num", text: w.in_flight === null || w.in_flight === undefined ? "–" : String(w.in_flight) }),
        el("td", { class: "age", text: age(w.last_heartbeat_age_seconds), title: w.last_heartbeat }),
        el("td", { class: "num", text: number(w.tasks_completed) })
      );
      if (canDrain) {
        const draining = Boolean(w.draining);
        const button = el("button", {
          type: "button",
          class: "drain " + (draining ? "on" : "off"),
          "data-worker": w.worker_id,
          text: draining ? "Undrain" : "Drain",
          title: draining ? "Give this worker new work again" : "Send this worker no new work",
        });
        button.addEventListener("click", () => toggleDrain(w.worker_id, !draining, button));
        row.append(el("td", { class: "action-col" }, button));
      }
      body.append(row);
    }
    $("workers-empty").hidden = page.workers.length > 0;
    $("workers-count").textContent =
      page.total === page.pool_total
        ? number(page.total) + " in the pool"
        : number(page.total) + " of " + number(page.pool_total) + " match";
    const first = state.cursors.length * Number($("f-limit").value) + (page.count ? 1 : 0);
    $("page-info").textContent = page.count ? first + "–" + (first + page.count - 1) + " of " + number(page.total) : "";
    state.next = page.next_cursor;
    $("next-page").disabled = !page.next_cursor;
    $("prev-page").disabled = state.cursors.length === 0;
    for (const th of $("workers").tHead.querySelectorAll("th[data-sort]")) {
      th.classList.toggle("sorted", th.dataset.sort === state.sort);
      th.classList.toggle("desc", th.dataset.sort === state.sort && state.desc);
    }
  }

  function renderRoutes(r) {
    $("routes-window").textContent = "· last " + Math.round(r.window_seconds / 60) + " minutes";
    const body = $("routes").tBodies[0];
    body.replaceChildren();
    const routes = r.routes.slice().sort((a, b) => b.requests - a.requests);
    routes.forEach((route, i) => {
      const swatch = el("span", { class: "route-swatch" });
      swatch.style.background = COLORS[i % COLORS.length];
      body.append(el("tr", { "data-route": route.route },
        el("td", {}, swatch, route.route),
        el("td", { class: "num", text: number(route.requests) }),
        el("td", { class: "num", text: fixed(route.rate_per_second, 2) }),
        el("td", { class: "num" + (route.errors > 0 ? " bad" : ""), text: number(route.errors) + (route.requests ? " (" + fixed(route.error_ratio * 100, 1) + "%)" : "") }),
        el("td", { class: "num", text: number(route.client_errors) }),
        el("td", { class: "num", text: fixed(route.latency_ms.p50, 1) }),
        el("td", { class: "num", text: fixed(route.latency_ms.p90, 1) }),
        el("td", { class: "num", text: fixed(route.latency_ms.p99, 1) }),
        el("td", { class: "num", text: number(route.in_flight) })));
    });
    $("routes-empty").hidden = routes.length > 0;
    $("routes").hidden = routes.length === 0;
    drawChart(routes.slice(0, COLORS.length), r.bucket_seconds);
  }

  function drawChart(routes, bucketSeconds) {
    const box = $("routes-chart");
    if (typeof uPlot === "undefined" || routes.length === 0) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const xs = routes[0].series.map((p) => Date.parse(p.at) / 1000);
    const data = [xs];
    for (const route of routes) data.push(route.series.map((p) => p.requests / bucketSeconds));
    const key = routes.map((r) => r.route).join(",");
    const width = Math.max(300, box.clientWidth);
    if (state.chart && state.chartRoutes === key) {
      state.chart.setData(data);
      if (Math.abs(state.chart.width - width) > 4) state.chart.setSize({ width, height: 200 });
      return;
    }
    if (state.chart) state.chart.destroy();
    state.chartRoutes = key;
    state.chart = new uPlot({
      width,
      height: 200,
      legend: { show: true, live: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ stroke: "#6b778c", grid: { stroke: "#eef1f6" } },
        { stroke: "#6b778c", grid: { stroke: "#eef1f6" }, label: "requests / s", size: 56 }],
      series: [{}].concat(routes.map((r, i) => ({
        label: r.route, stroke: COLORS[i % COLORS.length], width: 2,
        fill: COLORS[i % COLORS.length] + "14", points: { show: false },
      }))),
    }, data, box);
  }

  function renderTasks(t) {
    const box = $("queues");
    box.replaceChildren();
    const queued = t.queued_by_service || {};
    const names = Object.keys(queued);
    const max = Math.max(1, ...names.map((n) => queued[n]));
    if (names.length === 0) box.append(el("div", { class: "empty", text: "No task is waiting for a pull worker." }));
    for (const n of names) {
      const fill = el("span");
      fill.style.width = Math.round((queued[n] / max) * 100) + "%";
      box.append(el("div", { class: "queue-row", "data-service": n },
        el("span", { class: "chip", text: n }), el("div", { class: "bar" }, fill),
        el("span", { class: "n", text: number(queued[n]) })));
    }
    const stat = (label, v) => el("span", {}, label + " ", el("b", { text: number(v) }));
    box.append(el("div", { class: "queue-stats" },
      stat("queued", t.queued), stat("leased", t.leased), stat("waiting polls", t.waiting_polls),
      stat("completed", t.completed), stat("failed", t.failed)));
  }

  function renderEvents(e) {
    const list = $("events");
    list.replaceChildren();
    for (const ev of e.events) {
      let detail = ev.detail || "";
      if (ev.type === "phase_changed") detail = (ev.from ? ev.from + " → " : "") + ev.to;
      list.append(el("li", { "data-type": ev.type },
        el("time", { text: clock(ev.at), title: ev.at }),
        el("span", { class: "etype " + ev.type, text: ev.type.replace("_", " ") }),
        el("span", { class: "worker-id", text: ev.worker_id }),
        el("span", { class: "detail", text: detail })));
    }
    $("events-empty").hidden = e.events.length > 0;
  }

  // ---- data -------------------------------------------------------------------------------------

  function workersQuery() {
    const q = new URLSearchParams();
    q.set("limit", $("f-limit").value);
    q.set("sort", (state.desc ? "-" : "") + state.sort);
    const text = $("f-q").value.trim();
    if (text) q.set("q", text);
    if ($("f-phase").value) q.set("phase", $("f-phase").value);
    if ($("f-tier").value) q.set("tier", $("f-tier").value);
    const service = $("f-service").value.trim();
    if (service) q.set("service", service);
    if (state.cursor) q.set("cursor", state.cursor);
    return "/api/admin/workers?" + q.toString();
  }

  function banner(text, error) {
    const b = $("banner");
    b.hidden = !text;
    b.textContent = text || "";
    b.classList.toggle("error", Boolean(error));
  }

  async function refreshWorkers() {
    renderWorkers(await api(workersQuery()));
  }

  async function refresh() {
    if (state.busy) {
      state.again = true; // one more pass when this one ends, so a change just made shows
      return;
    }
    state.busy = true;
    state.again = false;
    try {
      const [stats, page, routes, events, tasks] = await Promise.all([
        api("/api/admin/stats"),
        api(workersQuery()),
        api("/api/admin/routes?window=15m"),
        api("/api/admin/events?limit=50"),
        api("/api/admin/tasks"),
      ]);
      $("login").hidden = true;
      $("main").hidden = false;
      $("token-button").hidden = !state.token;
      renderStats(stats);
      renderWorkers(page);
      renderRoutes(routes);
      renderTasks(tasks);
      renderEvents(events);
      banner(null);
      $("updated").textContent = "updated " + new Date().toLocaleTimeString("en-GB", { hour12: false });
    } catch (e) {
      if (e instanceof Unauthorized) {
        showLogin(state.token ? "That token was not accepted." : null);
      } else {
        banner("Could not load the dashboard: " + e.message, true);
      }
    } finally {
      state.busy = false;
      if (state.again) refresh();
    }
  }

  function showLogin(message) {
    $("main").hidden = true;
    $("login").hidden = false;
    $("token-button").hidden = true;
    $("token-error").hidden = !message;
    $("token-error").textContent = message || "";
    $("token-input").focus();
  }

  async function toggleDrain(id, drain, button) {
    button.disabled = true;
    try {
      await api("/api/admin/workers/" + encodeURIComponent(id) + (drain ? "/drain" : "/undrain"), { method: "POST" });
      await refresh();
    } catch (e) {
      banner("Could not " + (drain ? "drain " : "undrain ") + id + ": " + e.message, true);
      button.disabled = false;
    }
  }

  function restartPaging() {
    state.cursors = [];
    state.cursor = null;
    refreshWorkers().catch((e) => banner(e.message, true));
  }

  function schedule() {
    clearInterval(state.timer);
    state.timer = $("auto-refresh").checked ? setInterval(refresh, REFRESH_MS) : null;
  }

  // ---- wiring ---------------------------------------------------------------------------------

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.token = $("token-input").value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $("token-input").value = "";
    refresh();
  });
  $("token-button").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    refresh();
  });
  $("refresh-now").addEventListener("click", refresh);
  $("auto-refresh").addEventListener("change", schedule);
  $("next-page").addEventListener("click", () => {
    if (!state.next) return;
    state.cursors.push(state.cursor);
    state.cursor = state.next;
    refreshWorkers().catch((e) => banner(e.message, true));
  });
  $("prev-page").addEventListener("click", () => {
    if (state.cursors.length === 0) return;
    state.cursor = state.cursors.pop();
    refreshWorkers().catch((e) => banner(e.message, true));
  });
  for (const th of $("workers").tHead.querySelectorAll("th[data-sort]")) {
    th.addEventListener("click", () => {
      if (state.sort === th.dataset.sort) state.desc = !state.desc;
      else {
        state.sort = th.dataset.sort;
        state.desc = ["load", "in_flight", "last_heartbeat", "tasks_completed"].includes(state.sort);
      }
      restartPaging();
    });
  }
  let typing = null;
  for (const id of ["f-q", "f-service"]) {
    $(id).addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(restartPaging, 300);
    });
  }
  for (const id of ["f-phase", "f-tier", "f-limit"]) $(id).addEventListener("change", restartPaging);
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  window.addEventListener("resize", () => {
    if (state.chart) state.chart.setSize({ width: Math.max(300, $("routes-chart").clientWidth), height: 200 });
  });

  refresh();
  schedule();
})();
