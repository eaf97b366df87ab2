// The status page's pictures of the spread and the recent history, drawn by the page itself as
// inline SVG from /status.json (nothing fetched from elsewhere). Each cluster has a colour *and*
// a hatching, and every mark carries its words (labels, <title>), so nothing depends on colour
// alone. Every drawn value is also a data- attribute, which the integration test reads back.
// Kept as strings the page (status-page.ts) embeds; no backquotes or dollar-braces inside.

/** How far back the pictures reach at most; a younger history fills their width (at least a minute). */
export const CHARTS_WINDOW_MS = 10 * 60_000;
const CHARTS_SPAN_MIN_MS = 60_000;

export const CHARTS_CSS = `
  .spark { vertical-align: middle; background: #fff; border: 1px solid #e3e5ea; }
  .spark .thr { stroke: #1d2330; stroke-dasharray: 3 2; stroke-width: 1; }
  .spark .val { fill: none; stroke: #3b82f6; stroke-width: 1.5; }
  .spark .val.rps { stroke: #7c3aed; }
  .spark .over { fill: #c4291c22; }
  .strip, .stack { background: #fff; border: 1px solid #e3e5ea; display: block; }
  .strip text, .stack text, .legend { font: 11px system-ui, sans-serif; }
  .strip .mark { stroke: #1d2330; stroke-width: 2; }
  .strip .mark.same { stroke-dasharray: 2 2; stroke-width: 1; }
  .legend span { display: inline-block; margin-right: 1.2em; }
  .legend svg { vertical-align: middle; margin-right: .3em; }
  .warn { color: #8a5a00; font-weight: 600; }
  .chart-row { display: flex; gap: .8em; align-items: center; margin: .15em 0; }
  .chart-row b { width: 5em; }
  .span { color: #555; font-weight: normal; }
`;

export const CHARTS_HTML = `
<h2>Request spread</h2>
<div id="spread-warnings"></div>
<table id="spread"><thead><tr><th>server</th><th>cluster</th><th>req/s</th><th>of cluster</th><th>of site</th><th>load vs threshold <span class="span"></span></th><th>req/s <span class="span"></span></th></tr></thead><tbody></tbody></table>
<h2>Share of requests per cluster <span class="span"></span></h2>
<div id="share-legend" class="legend"></div>
<svg id="share-chart" class="stack" width="640" height="110" role="img" aria-label="stacked share of requests per cluster"></svg>
<h2>Where each area pointed <span class="span"></span></h2>
<div id="area-strips"></div>
`;

export const CHARTS_SCRIPT = `
const WINDOW_MS = ${CHARTS_WINDOW_MS};
const SPAN_MIN_MS = ${CHARTS_SPAN_MIN_MS};
const STATE_MARK = { drained: "#b7791f", panic: "#c4291c", dead: "#c4291c", bypass: "#6b6f7a", tempfail: "#9ca3af", unknown: "#d1d5db" };
const COLOURS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#ec4899", "#6b7280"];
const SVG_NS = "http://www.w3.org/2000/svg";
let hist = [];
function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function titled(e, text) { svgEl("title", {}, e).textContent = text; return e; }
function pctText(x) { return x === null || x === undefined ? "-" : Math.round(100 * x) + " %"; }
function rateText(x) { return x === null || x === undefined ? "unknown" : x.toFixed(1); }
/** Adds the new samples and keeps the last WINDOW_MS of them (by the node's clock). */
function addHistory(samples) {
  for (const x of samples || []) if (!hist.length || x.atMs > hist[hist.length - 1].atMs) hist.push(x);
  const newest = hist.length ? hist[hist.length - 1].atMs : 0;
  hist = hist.filter((x) => x.atMs > newest - WINDOW_MS);
}
function historyQuery() { return hist.length ? "history_since=" + hist[hist.length - 1].atMs : "history_for_ms=" + WINDOW_MS; }
/** A cluster's colour and hatching, by its place among the site's areas. */
function clusterIndex(s, c) { const i = s.areas.findIndex((a) => a.area === c); return i < 0 ? s.areas.length : i; }
function patterns(svg, s) {
  const defs = svgEl("defs", {}, svg);
  s.areas.forEach((a, i) => {
    const p = svgEl("pattern", { id: svg.id + "-p" + i, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(" + (i * 45) + ")" }, defs);
    svgEl("rect", { width: 6, height: 6, fill: COLOURS[i % COLOURS.length] }, p);
    if (i % 4 !== 0) svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#fff", "stroke-width": i % 4 }, p);
  });
}
function fillOf(svg, s, c) { return "url(#" + svg.id + "-p" + clusterIndex(s, c) + ")"; }
/** The time the pictures span: the history held, between a minute and WINDOW_MS, ending at its newest sample. */
function timeRange() {
  const t1 = hist.length ? hist[hist.length - 1].atMs : 0;
  const span = Math.min(WINDOW_MS, Math.max(SPAN_MIN_MS, hist.length ? t1 - hist[0].atMs : 0));
  return { t0: t1 - span, t1, span };
}
function xOf(t, r, w) { return ((t - r.t0) / r.span) * w; }
/** A small line of one server's values over the window; nulls break it (unknown is not 0). */
function spark(kind, name, pick, max, threshold) {
  const w = 160, h = 28, svg = svgEl("svg", { class: "spark", width: w, height: h, "data-server": name, "data-kind": kind });
  const range = timeRange();
  const y = (v) => h - 2 - (v / max) * (h - 4);
  if (threshold !== undefined) {
    svgEl("rect", { class: "over", x: 0, y: 0, width: w, height: y(threshold) }, svg);
    titled(svgEl("line", { class: "thr", x1: 0, x2: w, y1: y(threshold), y2: y(threshold) }, svg), "threshold " + threshold);
  }
  let d = "", pen = false, last = null;
  for (const x of hist) {
    const v = x.servers[name] ? pick(x.servers[name]) : null;
    if (v === null || v === undefined) { pen = false; continue; }
    d += (pen ? "L" : "M") + xOf(x.atMs, range, w).toFixed(1) + " " + y(Math.min(v, max)).toFixed(1);
    pen = true; last = { at: x.atMs, v };
  }
  if (kind === "load") stateBand(svg, name, range, w, h);
  const path = svgEl("path", { class: "val " + kind, d }, svg);
  svg.dataset.points = String(hist.filter((x) => x.servers[name] && pick(x.servers[name]) !== null).length);
  if (last) { svg.dataset.lastAt = String(last.at); svg.dataset.last = String(last.v); }
  titled(path, name + " " + kind + ": " + (last ? (kind === "load" ? last.v.toFixed(2) : last.v.toFixed(1) + " req/s") : "unknown"));
  return svg;
}
/** A band along the bottom while the server was not up (drained, dead, ...), its state in the tooltip. */
function stateBand(svg, name, range, w, h) {
  let run = null;
  const close = (end) => { if (run && STATE_MARK[run.state]) titled(svgEl("rect", { class: "state-band", "data-state": run.state, x: xOf(run.from, range, w), y: h - 5, width: Math.max(1, xOf(end, range, w) - xOf(run.from, range, w)), height: 5, fill: STATE_MARK[run.state] }, svg), name + " " + run.state.toUpperCase()); };
  for (const x of hist) {
    const st = x.servers[name] ? x.servers[name].state : "unknown";
    if (run && run.state === st) continue;
    close(x.atMs); run = { state: st, from: x.atMs };
  }
  if (run) close(range.t1);
}
function drawSpreadTable(s) {
  const sp = s.spread || { servers: [], clusters: [], warnings: [] };
  const byName = new Map(sp.servers.map((x) => [x.name, x]));
  const threshold = s.servers[0] ? s.servers[0].threshold : 0.8;
  const maxLoad = Math.max(1, threshold * 1.25, ...hist.flatMap((x) => Object.values(x.servers).map((p) => p.load || 0)));
  const maxRps = Math.max(1, ...hist.flatMap((x) => Object.values(x.servers).map((p) => p.rps || 0)));
  fill("spread", s.servers, (tr, v) => {
    const x = byName.get(v.name) || { rps: null, clusterShare: null, siteShare: null };
    tr.dataset.server = v.name; tr.dataset.rps = x.rps === null ? "unknown" : String(x.rps); tr.dataset.share = x.clusterShare === null ? "unknown" : String(x.clusterShare);
    cell(tr, v.name); cell(tr, v.cluster); cell(tr, rateText(x.rps), "rps"); cell(tr, pctText(x.clusterShare), "share"); cell(tr, pctText(x.siteShare));
    cell(tr, "").append(spark("load", v.name, (p) => p.load, maxLoad, threshold));
    cell(tr, "").append(spark("rps", v.name, (p) => p.rps, maxRps));
  });
  $("spread-warnings").replaceChildren(...sp.warnings.map((w) => { const p = document.createElement("p"); p.className = "warn"; p.dataset.cluster = w.cluster; p.textContent = "⚠ uneven spread: " + w.text; return p; }));
}
/** Each sample's share of the site's requests per cluster, stacked to 100 %. A sample where a
 * server with a counter has no rate (just restarted, late) is a gap: its share is not known. */
function drawShareChart(s) {
  const svg = $("share-chart"), w = 640, h = 110;
  svg.replaceChildren(); patterns(svg, s);
  const clusterOf = new Map(s.servers.map((v) => [v.name, v.cluster]));
  const clusters = s.areas.map((a) => a.area);
  const range = timeRange();
  // one column per sample, ending at its time (it stands for the second before), one path per cluster
  const colW = Math.max(1, (w * 1000) / range.span + 0.5);
  const d = new Map(clusters.map((c) => [c, ""]));
  const countered = new Set(hist.flatMap((x) => Object.keys(x.servers).filter((n) => x.servers[n].rps !== null)));
  for (const x of hist) {
    if ([...countered].some((n) => !x.servers[n] || x.servers[n].rps === null)) continue;
    const per = {}; let total = 0;
    for (const n of countered) { const r = x.servers[n].rps, c = clusterOf.get(n); per[c] = (per[c] || 0) + r; total += r; }
    if (total <= 0) continue;
    const x0 = (xOf(x.atMs, range, w) - colW).toFixed(1), x1 = xOf(x.atMs, range, w).toFixed(1);
    let y = h;
    for (const c of clusters) {
      const hh = ((per[c] || 0) / total) * h;
      if (hh > 0) d.set(c, d.get(c) + "M" + x0 + " " + y.toFixed(1) + "H" + x1 + "V" + (y - hh).toFixed(1) + "H" + x0 + "Z");
      y -= hh;
    }
  }
  for (const c of clusters) titled(svgEl("path", { d: d.get(c), fill: fillOf(svg, s, c), "data-cluster": c }, svg), "cluster " + c);
  svg.dataset.samples = String(hist.length);
  // the legend says each cluster's share now, as walrus status does (a mean over its window)
  const now = new Map(((s.spread && s.spread.clusters) || []).map((c) => [c.cluster, c.siteShare]));
  $("share-legend").replaceChildren(...clusters.map((c) => {
    const share = now.has(c) ? now.get(c) : null;
    const span = document.createElement("span"); span.dataset.cluster = c; span.dataset.share = share === null ? "unknown" : String(share);
    const sw = svgEl("svg", { width: 14, height: 14, id: "sw-" + clusterIndex(s, c) }); patterns(sw, s); svgEl("rect", { width: 14, height: 14, fill: fillOf(sw, s, c) }, sw);
    span.append(sw, c + " " + pctText(share));
    return span;
  }));
}
/** One strip per area: which cluster it pointed to over time (coloured, hatched and named), decisions marked. */
function drawAreaStrips(s) {
  const w = 640, h = 22;
  const range = timeRange();
  $("area-strips").replaceChildren(...s.areas.map((a) => {
    const row = document.createElement("div"); row.className = "chart-row";
    const label = document.createElement("b"); label.textContent = a.area;
    const svg = svgEl("svg", { class: "strip", width: w, height: h, id: "strip-" + clusterIndex(s, a.area), "data-area": a.area, role: "img", "aria-label": "clusters area " + a.area + " pointed to" });
    patterns(svg, s);
    const runs = [];
    for (const x of hist) {
      const p = x.areas[a.area]; if (!p) continue;
      const cur = runs[runs.length - 1];
      if (cur && cur.cluster === p.cluster) cur.to = x.atMs; else runs.push({ cluster: p.cluster, from: x.atMs, to: x.atMs });
    }
    // a run starts where the one before ended (a sample stands for the interval up to it)
    runs.forEach((r, i) => {
      const start = i > 0 ? runs[i - 1].to : r.from - 1000;
      const x0 = Math.max(0, xOf(start, range, w)), x1 = Math.max(x0 + 1, xOf(r.to, range, w));
      const seg = svgEl("rect", { x: x0.toFixed(1), y: 0, width: (x1 - x0).toFixed(1), height: h, fill: fillOf(svg, s, r.cluster), "data-cluster": r.cluster, "data-from": r.from, "data-to": r.to }, svg);
      titled(seg, a.area + " → " + r.cluster + " from " + new Date(start).toLocaleTimeString() + " to " + new Date(r.to).toLocaleTimeString());
      if (x1 - x0 > 34) { const t = svgEl("text", { x: x0 + 4, y: 15, fill: "#fff", stroke: "#1d2330", "stroke-width": 2.5, "paint-order": "stroke" }, svg); t.textContent = r.cluster; }
    });
    for (const d of s.decisions || []) {
      if (d.area !== a.area || d.atMs <= range.t0 || d.from === null) continue;
      const x = Math.min(w - 1, xOf(d.atMs, range, w)); // a decision newer than the last sample sits at the edge
      const m = svgEl("line", { class: "mark" + (d.from === d.to ? " same" : ""), x1: x, x2: x, y1: 0, y2: h, "data-at": d.atMs, "data-to": d.to }, svg);
      titled(m, new Date(d.atMs).toLocaleTimeString() + " " + (d.from === d.to ? "stays " + d.to : d.from + " → " + d.to) + ": " + (WHY[d.reason] || d.reason) + ", " + d.detail);
    }
    row.append(label, svg);
    return row;
  }));
}
function drawCharts(s) {
  addHistory(s.history);
  const span = timeRange().span;
  for (const e of document.querySelectorAll(".span")) e.textContent = "(last " + (span >= 120000 ? Math.round(span / 60000) + " min" : Math.round(span / 1000) + " s") + ")";
  drawSpreadTable(s); drawShareChart(s); drawAreaStrips(s);
}
`;
