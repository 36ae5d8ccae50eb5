// The tradecost dashboard: one WebSocket (/ws/live) brings every update, at most 4 a second;
// the order form tells the server which order to price on each one.
"use strict";

const $ = (id) => document.getElementById(id);
const fmt = (v, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const usd = (v) => (v === null || v === undefined ? "–" : "$" + fmt(v, 2));
const bps = (v) => (v === null || v === undefined ? "–" : fmt(v, 3) + " bps");
const us = (ns) => (ns === null || ns === undefined ? "–" : fmt(ns / 1000, 1) + " µs");

let socket = null;
let streams = [];
let pairsInfo = null;

function orderFromForm() {
  const form = new FormData($("order"));
  const order = { type: "order" };
  for (const [key, value] of form.entries()) {
    if (value === "") continue;
    order[key] = key === "usd" || key === "volatility" ? Number(value) : value;
  }
  return order;
}

function sendOrder() {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(orderFromForm()));
}

function fillStreams(list, order) {
  const key = JSON.stringify(list);
  if (key === JSON.stringify(streams)) return;
  streams = list;
  const exchanges = [...new Set(list.map((s) => s.exchange))];
  const exchange = $("f-exchange");
  const chosen = exchange.value || order.exchange;
  exchange.replaceChildren(...exchanges.map((e) => new Option(e, e, false, e === chosen)));
  fillSymbols(order.symbol);
}

function fillSymbols(preferred) {
  const exchange = $("f-exchange").value;
  const symbol = $("f-symbol");
  const chosen = symbol.value || preferred;
  const symbols = streams.filter((s) => s.exchange === exchange).map((s) => s.symbol);
  symbol.replaceChildren(...symbols.map((s) => new Option(s, s, false, s === chosen)));
}

function showEstimate(estimate, error) {
  $("order-error").hidden = !error;
  $("order-error").textContent = error || "";
  if (!estimate) return;
  $("o-avg_price").textContent = fmt(estimate.avg_price, estimate.avg_price > 100 ? 2 : 6);
  $("o-slippage").textContent = `${usd(estimate.slippage_usd)} · ${bps(estimate.slippage_bps)}`;
  $("o-fee").textContent = `${usd(estimate.fee_usd)} · ${bps(estimate.fee_bps)}`;
  $("o-impact").textContent = `${usd(estimate.impact_usd)} · ${bps(estimate.impact_bps)}`;
  $("o-net").textContent = `${usd(estimate.net_cost_usd)} · ${bps(estimate.net_cost_bps)}`;
  $("o-maker").textContent = `${fmt(estimate.maker_fraction * 100, 0)}% / ${fmt(estimate.taker_fraction * 100, 0)}%`;
  $("o-levels").textContent = `${estimate.levels}${estimate.complete ? "" : " (book too thin)"}`;
  $("o-latency").textContent = us(estimate.latency_ns);
  $("o-model").textContent = `impact: ${estimate.impact_model}`;
  $("o-flags").textContent = estimate.flags && estimate.flags.length ? `flags: ${estimate.flags.join(", ")}` : "";
}

function rows(table, entries) {
  const body = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
  body.replaceChildren(...entries.map(([name, value]) => {
    const tr = document.createElement("tr");
    const a = document.createElement("td");
    const b = document.createElement("td");
    a.textContent = name;
    b.textContent = value;
    tr.append(a, b);
    return tr;
  }));
}

function showHealth(health) {
  const entries = [];
  const latency = health.latency || {};
  entries.push(["bytes → estimate p50 / p99", `${fmt(latency.end_to_end_p50_us, 1)} / ${fmt(latency.end_to_end_p99_us, 1)} µs`]);
  entries.push(["estimate p50", `${fmt(latency.estimate_p50_us, 1)} µs`]);
  for (const [name, stats] of Object.entries(health.feeds || {})) {
    entries.push([name, `${stats.messages} msgs · ${stats.gaps} gaps · ${stats.resyncs} resyncs · ${stats.bad_frames} bad`]);
  }
  const push = health.push || {};
  entries.push(["live push", `${push.clients} clients · ${push.conflated} conflated · ${push.dropped_clients} dropped`]);
  rows($("health"), entries);
  const p = health.process || {};
  $("process").textContent = `CPU ${fmt(p.cpu_percent, 0)}% · ${fmt(p.rss_mb, 0)} MB · ${p.threads} threads`;
}

function showPairs(pairs) {
  if (!pairs) return;
  $("pairs").hidden = false; // shown once the server publishes pairs analytics
  pairsInfo = pairs;
  $("pairs-title").textContent = pairs.title || "";
  const t = pairs.times_ms || [];
  const plot = window.tcPlot.chart;
  plot($("c-prices"), { times: t, yLabel: "prices", lines: [
    { values: pairs.y_norm || [], color: "#1f6feb", label: `${pairs.y} (rebased)` },
    { values: pairs.x_norm || [], color: "#d9480f", label: `${pairs.x} (rebased)` }] });
  plot($("c-spread"), { times: t, yLabel: "spread", lines: [
    { values: pairs.spread || [], color: "#5f3dc4", label: "spread" },
    { values: pairs.spread_mean || [], color: "#868e96", label: "rolling mean", dash: "5 3" }] });
  const entry = pairs.entry || 2;
  plot($("c-zscore"), { times: t, yLabel: "z-score", lines: [{ values: pairs.zscore || [], color: "#2b8a3e", label: "z-score" }],
    hlines: [{ value: entry, color: "#c92a2a" }, { value: -entry, color: "#c92a2a" }, { value: 0, color: "#adb5bd" }] });
  plot($("c-volume"), { times: t, yLabel: "volume", lines: [{ values: [], color: "#000", label: `${pairs.y} volume (USD)` }],
    bars: { values: pairs.y_notional || [], color: "#74a9cf" } });
  rows($("analytics"), Object.entries(pairs.latest || {}).map(([k, v]) => [k, v === null ? "–" : typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : Math.abs(v) >= 100 ? 2 : 4) : String(v)]));
  const cell = (v) => (v === null || v === undefined ? "–" : typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : 4) : typeof v === "boolean" ? (v ? "yes" : "no") : String(v));
  const adf = pairs.adf || {};
  const eg = pairs.engle_granger || {};
  const note = (t) => t.status || t.error;
  const tests = [
    ["statistic", note(adf) || cell(adf.statistic), note(eg) || cell(eg.statistic)],
    ["p-value", cell(adf.p_value), cell(eg.p_value)],
    ["5% critical", cell(adf["critical 5%"]), cell(eg["critical 5%"])],
    ["lags / obs", `${cell(adf.lags)} / ${cell(adf.nobs)}`, `${cell(eg.lags)} / ${cell(eg.nobs)}`],
    ["β (whole sample)", "", cell(eg.beta)],
    ["verdict at 5%", "stationary at 5%" in adf ? (adf["stationary at 5%"] ? "stationary" : "unit root not rejected") : "–",
      "cointegrated at 5%" in eg ? (eg["cointegrated at 5%"] ? "cointegrated" : "not cointegrated") : "–"],
  ];
  const body = $("adf").tBodies[0];
  body.replaceChildren(...tests.map((cells) => {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  $("signal").textContent = pairs.signal || "–";
  $("dl-bars").href = pairs.bars_csv || "#";
  $("dl-analytics").href = pairs.analytics_csv || "#";
}

function showAlerts(alerts) {
  if (!alerts) return;
  $("alerts").replaceChildren(...alerts.slice(-20).reverse().map((a) => {
    const li = document.createElement("li");
    li.textContent = a.text || JSON.stringify(a);
    return li;
  }));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/live`);
  socket.onopen = () => { $("connection").textContent = "live"; $("connection").className = "badge live"; sendOrder(); };
  socket.onclose = () => { $("connection").textContent = "disconnected — retrying"; $("connection").className = "badge down"; setTimeout(connect, 1000); };
  socket.onmessage = (message) => {
    const update = JSON.parse(message.data);
    if (update.streams && update.order) fillStreams(update.streams, update.order);
    showEstimate(update.estimate, update.order_error);
    if (update.health) showHealth(update.health);
    showPairs(update.pairs);
    showAlerts(update.alerts);
    document.body.dataset.version = String(update.version);
  };
}

$("order").addEventListener("change", (event) => { if (event.target.name === "exchange") fillSymbols(); sendOrder(); });
$("order").addEventListener("input", sendOrder);
$("upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData($("upload"));
  const symbol = form.get("symbol");
  const response = await fetch(`/api/bars/upload?symbol=${encodeURIComponent(symbol)}`, { method: "POST", body: form });
  const body = await response.json();
  $("upload-result").textContent = response.ok ? `stored ${body.rows} bars for ${body.symbol}` : `error: ${body.error}`;
});
window.addEventListener("resize", () => showPairs(pairsInfo));
connect();
