// Small SVG charts for the tradecost dashboard: lines, threshold lines and bars on a shared
// time axis. No dependencies; redrawn whole on each update (a few hundred points at most).
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
  return el;
}

function finiteExtent(arrays) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of arrays) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return null;
  if (lo === hi) {
    const pad = Math.abs(lo) * 1e-3 || 1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.06;
  return [lo - pad, hi + pad];
}

function formatTick(v) {
  const a = Math.abs(v);
  if (a >= 1e4) return v.toLocaleString(undefined, { maximumFractionDigits: 0 });
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return "0";
  return v.toPrecision(2);
}

function formatTime(ms) {
  const d = new Date(ms);
  return d.toISOString().slice(11, 19);
}

// chart(container, {times, lines: [{values, color, label, dash}], bars: {values, color},
//                   hlines: [{value, color, label}], yLabel})
function chart(container, spec) {
  const width = Math.max(container.clientWidth, 240);
  const height = Math.max(container.clientHeight, 120);
  const margin = { left: 58, right: 10, top: 18, bottom: 22 };
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const svg = svgEl("svg", { width, height, role: "img", "aria-label": spec.yLabel || "chart" });
  const times = spec.times || [];
  const n = times.length;
  const arrays = (spec.lines || []).map((l) => l.values);
  if (spec.bars) arrays.push(spec.bars.values, [0]);
  for (const line of spec.hlines || []) arrays.push([line.value]);
  const extent = finiteExtent(arrays);
  if (!n || !extent) {
    const text = svgEl("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" });
    text.textContent = spec.empty || "waiting for data";
    svg.appendChild(text);
    container.replaceChildren(svg);
    return;
  }
  let [lo, hi] = extent;
  if (spec.bars && lo < 0 && spec.bars.values.every((v) => v === null || v >= 0)) lo = 0; // bars stand on 0
  const t0 = times[0];
  const t1 = times[n - 1] === t0 ? t0 + 1 : times[n - 1];
  const x = (t) => margin.left + ((t - t0) / (t1 - t0)) * w;
  const y = (v) => margin.top + (1 - (v - lo) / (hi - lo)) * h;
  const axis = svgEl("g", { class: "axis" });
  for (let i = 0; i <= 4; i += 1) {
    const v = lo + ((hi - lo) * i) / 4;
    axis.appendChild(svgEl("line", { x1: margin.left, x2: margin.left + w, y1: y(v), y2: y(v), class: "grid" }));
    const label = svgEl("text", { x: margin.left - 6, y: y(v) + 4, "text-anchor": "end" });
    label.textContent = formatTick(v);
    axis.appendChild(label);
  }
  for (const frac of [0, 0.5, 1]) {
    const t = t0 + (t1 - t0) * frac;
    const anchor = frac === 0 ? "start" : frac === 1 ? "end" : "middle";
    const label = svgEl("text", { x: x(t), y: height - 6, "text-anchor": anchor });
    label.textContent = formatTime(t);
    axis.appendChild(label);
  }
  svg.appendChild(axis);
  if (spec.bars) {
    const barWidth = Math.max(1, (w / n) * 0.8);
    const group = svgEl("g", { fill: spec.bars.color || "#8aa" });
    spec.bars.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      const top = y(Math.max(v, 0));
      group.appendChild(svgEl("rect", { x: x(times[i]) - barWidth / 2, y: top, width: barWidth, height: Math.max(0, y(0) - top) }));
    });
    svg.appendChild(group);
  }
  for (const line of spec.hlines || []) {
    svg.appendChild(svgEl("line", { x1: margin.left, x2: margin.left + w, y1: y(line.value), y2: y(line.value), stroke: line.color || "#999", "stroke-dasharray": "4 3", class: "hline" }));
  }
  const legend = svgEl("g", { class: "legend" });
  let legendX = margin.left;
  for (const line of spec.lines || []) {
    let d = "";
    let pen = false;
    line.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    svg.appendChild(svgEl("path", { d, fill: "none", stroke: line.color, "stroke-width": 1.5, "stroke-dasharray": line.dash || "" }));
    if (line.label) {
      const label = svgEl("text", { x: legendX, y: 12, fill: line.color });
      label.textContent = line.label;
      legend.appendChild(label);
      legendX += 12 + line.label.length * 7;
    }
  }
  svg.appendChild(legend);
  container.replaceChildren(svg);
}

window.tcPlot = { chart };
