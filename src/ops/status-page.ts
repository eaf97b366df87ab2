// The live status page: one self-contained HTML document kept as a string, so the compiled
// binary serves it with no files beside it. It polls /status.json once a second and builds the
// tables with textContent only (names come from the config and gossip, never trusted as HTML).
// The pictures of the spread and history are in status-page-charts.ts.
import { CHARTS_CSS, CHARTS_HTML, CHARTS_SCRIPT } from "./status-page-charts.ts";

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>walrus status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  .meta { color: #555; }
  .meta b { color: #1d2330; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; min-width: 40em; }
  th, td { padding: .35em .8em; text-align: left; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
  th { background: #eceef2; font-weight: 600; }
  .state { font-weight: 600; }
  .st-up { color: #18794e; } .st-drained { color: #8a5a00; } .st-panic, .st-dead { color: #c4291c; }
  .st-tempfail, .st-bypass, .st-unknown { color: #6b6f7a; }
  .bar { position: relative; width: 10em; height: .9em; background: #e3e5ea; border-radius: 3px; display: inline-block; vertical-align: middle; }
  .bar span { position: absolute; left: 0; top: 0; bottom: 0; background: #3b82f6; border-radius: 3px; }
  .bar span.over { background: #c4291c; }
  .bar i { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #1d2330; }
  .why { color: #444; }
  .reason { font-weight: 600; }
  #error { color: #c4291c; font-weight: 600; }
${CHARTS_CSS}</style>
</head>
<body>
<h1>walrus <span id="zone"></span></h1>
<div class="meta">node <b id="node"></b> · master <b id="master"></b> · <span id="assignment"></span> · updated <span id="updated">never</span> <span id="error"></span></div>
<h2>Areas</h2>
<table id="areas"><thead><tr><th>area</th><th>→ cluster</th><th>servers in answers</th><th>why</th></tr></thead><tbody></tbody></table>
<h2>Servers</h2>
<table id="servers"><thead><tr><th>server</th><th>cluster</th><th>state</th><th>load vs threshold</th><th>note</th></tr></thead><tbody></tbody></table>
${CHARTS_HTML}
<h2>Recent decisions</h2>
<table id="decisions"><thead><tr><th>time</th><th>area</th><th>move</th><th>reason</th><th>figures</th></tr></thead><tbody></tbody></table>
<h2>Members</h2>
<table id="members"><thead><tr><th>member</th><th>roles</th><th>live</th><th>heard</th></tr></thead><tbody></tbody></table>
<script>
const WHY = { home: "home and healthy", availability: "forced by availability", balance: "moved by balancing", kept: "kept", "none-functioning": "nothing functions", unassigned: "no assignment yet", spill: "spilled" };
const $ = (id) => document.getElementById(id);
function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
function fill(id, rows, build) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map((r) => { const tr = document.createElement("tr"); build(tr, r); return tr; }));
}
function bar(td, load, threshold) {
  if (load === null) { td.textContent = "-"; return; }
  const scale = Math.max(1, threshold * 1.25, load);
  const b = document.createElement("span"); b.className = "bar";
  const fillEl = document.createElement("span"); fillEl.style.width = (100 * load / scale) + "%"; if (load >= threshold) fillEl.className = "over";
  const mark = document.createElement("i"); mark.style.left = (100 * threshold / scale) + "%";
  b.append(fillEl, mark);
  td.append(b, " " + load.toFixed(2) + " / " + threshold + (load >= threshold ? " OVER" : ""));
}
function render(s) {
  $("zone").textContent = s.site.zone;
  $("node").textContent = s.node;
  $("master").textContent = s.master ? s.master.node + (s.master.self ? " (this node)" : "") : "none";
  $("assignment").textContent = s.assignment ? "epoch " + s.assignment.epoch + " seq " + s.assignment.seq + ", " + (s.assignment.ageMs / 1000).toFixed(1) + " s old" : "no assignment yet";
  fill("areas", s.areas, (tr, a) => {
    tr.dataset.area = a.area; tr.dataset.cluster = a.cluster;
    cell(tr, a.area); cell(tr, a.cluster); cell(tr, a.servers.join(" ") || "-");
    const td = cell(tr, "", "why"); const r = document.createElement("span"); r.className = "reason"; r.textContent = WHY[a.reason] || a.reason; td.append(r, ": " + a.detail);
    // kept away from home: say what moved it there, as walrus status does
    const move = a.reason === "kept" && a.cluster !== a.area && (s.decisions || []).find((d) => d.area === a.area && d.to === a.cluster && d.from !== null && d.from !== d.to);
    if (move) td.append("; there since " + new Date(move.atMs).toLocaleTimeString() + ", " + (WHY[move.reason] || move.reason) + ": " + move.detail);
    for (const x of a.spill || []) { const p = document.createElement("div"); p.className = "spill"; p.textContent = "spill: " + x.text; td.append(p); }
  });
  fill("servers", s.servers, (tr, v) => {
    const state = v.drained ? "drained" : v.state;
    tr.dataset.server = v.name; tr.dataset.state = state;
    cell(tr, v.name); cell(tr, v.cluster);
    cell(tr, v.drained ? "DRAINED (measured " + v.measured + ")" : v.state.toUpperCase(), "state st-" + state);
    bar(cell(tr, ""), v.load, v.threshold);
    cell(tr, [v.selfRegistered && "self-registered", v.drained ? v.drainReason : v.reason].filter(Boolean).join("; "));
  });
  fill("decisions", s.decisions || [], (tr, d) => {
    cell(tr, new Date(d.atMs).toLocaleTimeString()); cell(tr, d.area);
    cell(tr, d.from === null ? "→ " + d.to : d.from === d.to ? "stays " + d.to : d.from + " → " + d.to);
    cell(tr, WHY[d.reason] || d.reason, "reason"); cell(tr, d.detail);
  });
  fill("members", s.members, (tr, m) => { cell(tr, m.node); cell(tr, m.roles.join(", ")); cell(tr, m.live ? "yes" : "NO"); cell(tr, (m.heardAgoMs / 1000).toFixed(1) + " s ago"); });
  drawCharts(s);
}
async function poll() {
  try {
    const r = await fetch("status.json?" + historyQuery(), { cache: "no-store" });
    if (!r.ok) throw new Error("status.json answered " + r.status);
    render(await r.json());
    $("updated").textContent = new Date().toLocaleTimeString();
    $("error").textContent = "";
  } catch (e) {
    $("error").textContent = "cannot reach the node: " + e.message;
  }
  setTimeout(poll, 1000);
}
${CHARTS_SCRIPT}
poll();
</script>
</body>
</html>
`;
