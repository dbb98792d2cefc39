/// The live dashboard (`GET /`): one self-contained page (no CDN, no request leaving the
/// host) whose charts are SVG drawn by its own script from `/api/v1/report`, `/api/v1/status`,
/// `/api/v1/marts` and `/api/v1/quarantine`, refreshed every two seconds. Every figure on it
/// carries `data-panel`/`data-label`/`data-value` attributes, so a test (or a script) can read
/// what is shown; the total number of encounters is the element `data-metric="encounters"`.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EMR Stream: live marts</title>
<style>
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --card:#fff; --bg:#f5f7fa; --ok:#1f7a4d; --bad:#b42318; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:12px 16px; background:var(--card); border-bottom:1px solid var(--line); position:sticky; top:0; z-index:1; }
header h1 { font-size:18px; margin:0 12px 0 0; }
header label { color:var(--muted); }
header input { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:6px; }
button { font:inherit; padding:4px 10px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
.badge { padding:3px 10px; border-radius:999px; color:#fff; font-weight:600; }
.badge.ok { background:var(--ok); } .badge.bad { background:var(--bad); }
.live { color:var(--muted); }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap:14px; padding:14px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; min-width:0; }
section.wide { grid-column:1 / -1; }
h2 { font-size:15px; margin:0 0 8px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(118px, 1fr)); gap:8px; }
.tile { border:1px solid var(--line); border-radius:8px; padding:8px; text-align:center; }
.tile .name { font-weight:600; } .tile .big { font-size:22px; font-weight:700; } .tile .small { color:var(--muted); }
svg { width:100%; height:auto; display:block; }
svg text { font-size:11px; fill:var(--ink); }
.legend { display:flex; flex-wrap:wrap; gap:6px 12px; margin:4px 0 6px; color:var(--muted); font-size:12px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
table { border-collapse:collapse; width:100%; font-size:12px; }
td, th { padding:3px 6px; border-bottom:1px solid var(--line); text-align:left; } td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
.donuts { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
.error { color:var(--bad); }
</style>
</head>
<body>
<header>
  <h1>EMR Stream</h1>
  <label>From <input type="date" id="from"></label>
  <label>To <input type="date" id="to"></label>
  <button id="all">All time</button>
  <span id="ready" class="badge">…</span>
  <span class="live" id="live"></span>
  <span class="error" id="error"></span>
</header>
<main>
  <section class="wide">
    <h2>Encounters and patients by class <span class="live">(total <b data-metric="encounters" id="total-encounters">0</b> encounters, <b data-metric="patients" id="total-patients">0</b> patients)</span></h2>
    <div class="tiles" id="class-tiles" data-panel="classes"></div>
  </section>
  <section>
    <h2>Emergency and inpatient: 7-day readmission rate and average length of stay</h2>
    <div class="tiles" id="acute-tiles" data-panel="acute"></div>
  </section>
  <section>
    <h2>Total claim cost and visits by class</h2>
    <div class="donuts"><div id="cost-donut"></div><div id="visit-donut"></div></div>
  </section>
  <section>
    <h2>Encounter class distribution by age group</h2>
    <div id="age-chart"></div>
  </section>
  <section>
    <h2>Most dispensed medications by age group</h2>
    <div id="medication-chart"></div>
  </section>
  <section>
    <h2>Encounters through the year by month and class</h2>
    <div id="month-chart"></div>
  </section>
  <section>
    <h2>Top diagnoses by encounter class (disorders)</h2>
    <div id="diagnosis-chart"></div>
  </section>
  <section>
    <h2>Consumer lag per partition</h2>
    <div id="lag"></div>
  </section>
  <section>
    <h2>Rows per mart</h2>
    <div id="marts"></div>
  </section>
  <section class="wide">
    <h2>Latest quarantined records</h2>
    <div id="quarantine"></div>
  </section>
</main>
<script>
"use strict";
const palette = ["#3366cc","#e4a9f0","#bf5b3f","#d69e2e","#7b3f98","#6b7f3a","#2b9fa8","#d6457a","#8c8c8c","#5b8def","#a0522d","#4c9a2a"];
const classColor = {};
function colorOf(name) { if (!(name in classColor)) classColor[name] = palette[Object.keys(classColor).length % palette.length]; return classColor[name]; }
const ageColors = ["#e8c547","#b388eb","#ef6f9b","#7d7fd8","#2ab0c5","#3d85e0","#f2994a","#6fcf97","#9e9e9e"];
const fmt = n => Number(n).toLocaleString("en-US");
const short = n => n >= 1e6 ? (n/1e6).toFixed(2) + "M" : n >= 1e4 ? (n/1e3).toFixed(1) + "K" : fmt(Math.round(n));
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));
const token = new URLSearchParams(location.search).get("token") || localStorage.getItem("emr-token");
if (token) { localStorage.setItem("emr-token", token); history.replaceState(null, "", location.pathname); }
async function api(path) {
  const headers = token ? { "Authorization": "Bearer " + token } : {};
  const r = await fetch(path, { headers, cache: "no-store" });
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}
function legend(names, colors) {
  return '<div class="legend">' + names.map((n, i) => '<span><i style="background:' + colors(n, i) + '"></i>' + esc(n) + '</span>').join("") + '</div>';
}
// Vertical stacked bars; percent=true scales each bar to 100 %.
function stackedColumns(groups, seriesNames, colors, percent, panel) {
  const W = 640, H = 260, left = 40, bottom = 40, top = 8, bw = (W - left - 10) / Math.max(groups.length, 1);
  const max = percent ? 100 : Math.max(1, ...groups.map(g => g.total));
  let s = '<svg viewBox="0 0 ' + W + ' ' + H + '" data-panel="' + panel + '">';
  for (let t = 0; t <= 4; t++) { const v = max * t / 4, y = H - bottom - (H - bottom - top) * t / 4;
    s += '<line x1="' + left + '" x2="' + W + '" y1="' + y + '" y2="' + y + '" stroke="#e4e7eb"/><text x="' + (left - 4) + '" y="' + (y + 4) + '" text-anchor="end">' + (percent ? Math.round(v) + "%" : short(v)) + '</text>'; }
  groups.forEach((g, i) => {
    let y = H - bottom; const x = left + i * bw + bw * 0.15, w = bw * 0.7;
    s += '<g data-group="' + esc(g.label) + '" data-total="' + g.total + '">';
    seriesNames.forEach((name, k) => { const c = g.counts.find(c => c.label === name); if (!c || !c.value) return;
      const h = (H - bottom - top) * (percent ? c.value * 100 / g.total : c.value) / max; y -= h;
      s += '<rect x="' + x + '" y="' + y + '" width="' + w + '" height="' + h + '" fill="' + colors(name, k) + '" data-label="' + esc(name) + '" data-value="' + c.value + '"><title>' + esc(g.label + ": " + name + " " + fmt(c.value)) + '</title></rect>'; });
    const m = g.label.match(/^(.*?) \((.*)\)$/), lines = m ? [m[1], m[2]] : [g.label];
    s += '<text x="' + (x + w / 2) + '" y="' + (H - bottom + 14) + '" text-anchor="middle">' + lines.map((t, k) => '<tspan x="' + (x + w / 2) + '" dy="' + (k ? 12 : 0) + '">' + esc(t.length > 14 ? t.slice(0, 13) + "…" : t) + '</tspan>').join("") + '</text></g>';
  });
  return legend(seriesNames, colors) + s + '</svg>';
}
// Horizontal stacked bars (one per group), absolute values.
function stackedRows(groups, seriesNames, colors, panel) {
  const W = 640, rowH = 30, left = 190, H = groups.length * rowH + 24;
  const max = Math.max(1, ...groups.map(g => g.total));
  let s = '<svg viewBox="0 0 ' + W + ' ' + H + '" data-panel="' + panel + '">';
  groups.forEach((g, i) => { let x = left; const y = 6 + i * rowH;
    s += '<g data-group="' + esc(g.label) + '" data-total="' + g.total + '"><text x="' + (left - 6) + '" y="' + (y + 16) + '" text-anchor="end">' + esc(g.label.length > 30 ? g.label.slice(0, 29) + "…" : g.label) + '</text>';
    seriesNames.forEach((name, k) => { const c = g.counts.find(c => c.label === name); if (!c || !c.value) return;
      const w = (W - left - 50) * c.value / max;
      s += '<rect x="' + x + '" y="' + y + '" width="' + w + '" height="' + (rowH - 8) + '" fill="' + colors(name, k) + '" data-label="' + esc(name) + '" data-value="' + c.value + '"><title>' + esc(name + " " + fmt(c.value)) + '</title></rect>'; x += w; });
    s += '<text x="' + (x + 4) + '" y="' + (y + 16) + '">' + short(g.total) + '</text></g>'; });
  return legend(seriesNames, colors) + s + '</svg>';
}
function donut(items, center, panel, label) {
  const total = items.reduce((a, b) => a + b.value, 0) || 1, R = 80, r = 52, C = 100;
  let a0 = -Math.PI / 2, s = '<svg viewBox="0 0 200 200" data-panel="' + panel + '">';
  items.forEach(it => { const a1 = a0 + 2 * Math.PI * it.value / total, large = a1 - a0 > Math.PI ? 1 : 0;
    const p = (a, rad) => (C + rad * Math.cos(a)).toFixed(2) + " " + (C + rad * Math.sin(a)).toFixed(2);
    const d = it.value >= total ? "M " + p(0, R) + " A " + R + " " + R + " 0 1 1 " + p(Math.PI, R) + " A " + R + " " + R + " 0 1 1 " + p(0, R) + " M " + p(0, r) + " A " + r + " " + r + " 0 1 0 " + p(Math.PI, r) + " A " + r + " " + r + " 0 1 0 " + p(0, r)
      : "M " + p(a0, R) + " A " + R + " " + R + " 0 " + large + " 1 " + p(a1, R) + " L " + p(a1, r) + " A " + r + " " + r + " 0 " + large + " 0 " + p(a0, r) + " Z";
    s += '<path d="' + d + '" fill="' + colorOf(it.label) + '" fill-rule="evenodd" data-label="' + esc(it.label) + '" data-value="' + esc(it.exact || it.value) + '"><title>' + esc(it.label + " " + (it.exact || fmt(it.value)) + " (" + (100 * it.value / total).toFixed(1) + "%)") + '</title></path>'; a0 = a1; });
  s += '<text x="100" y="96" text-anchor="middle">' + esc(label) + '</text><text x="100" y="116" text-anchor="middle" style="font-size:18px;font-weight:700" data-total>' + esc(center) + '</text></svg>';
  return s;
}
function hbars(groups, panel) {
  return groups.map(g => { const max = Math.max(1, ...g.counts.map(c => c.value)), W = 640, rowH = 24, left = 240, H = g.counts.length * rowH + 4;
    let s = '<div><b style="color:' + colorOf(g.encounter_class || g.label) + '">' + esc(g.label) + '</b><svg viewBox="0 0 ' + W + ' ' + H + '" data-panel="' + panel + '" data-group="' + esc(g.label) + '">';
    g.counts.forEach((c, i) => { const y = 2 + i * rowH, w = (W - left - 40) * c.value / max;
      s += '<text x="' + (left - 6) + '" y="' + (y + 15) + '" text-anchor="end">' + esc(c.label.length > 38 ? c.label.slice(0, 37) + "…" : c.label) + '</text><rect x="' + left + '" y="' + y + '" width="' + w + '" height="' + (rowH - 6) + '" fill="' + colorOf(g.label) + '" data-label="' + esc(c.label) + '" data-value="' + c.value + '"/><text x="' + (left + w + 4) + '" y="' + (y + 15) + '">' + fmt(c.value) + '</text>'; });
    return s + '</svg></div>'; }).join("");
}
function table(rows, headers, numeric) {
  return '<table><tr>' + headers.map((h, i) => '<th' + (numeric[i] ? ' class="n"' : '') + '>' + esc(h) + '</th>').join("") + '</tr>' +
    rows.map(r => '<tr>' + r.map((v, i) => '<td' + (numeric[i] ? ' class="n"' : '') + '>' + esc(v) + '</td>').join("") + '</tr>').join("") + '</table>';
}
function normalise(groups, key) { return groups.map(g => ({ label: g[key], total: g.total, counts: g.counts, encounter_class: g[key] })); }
function render(report) {
  const classes = report.classes.map(c => c.encounter_class);
  classes.forEach(colorOf);
  document.getElementById("total-encounters").textContent = fmt(report.encounters);
  document.getElementById("total-patients").textContent = fmt(report.patients);
  document.getElementById("class-tiles").innerHTML = report.classes.map(c =>
    '<div class="tile" data-label="' + esc(c.encounter_class) + '" data-encounters="' + c.encounters + '" data-patients="' + c.patients + '"><div class="name" style="color:' + colorOf(c.encounter_class) + '">' + esc(c.encounter_class) +
    '</div><div class="big">' + fmt(c.encounters) + '</div><div class="small">encounters</div><div class="big">' + fmt(c.patients) + '</div><div class="small">patients</div></div>').join("");
  document.getElementById("acute-tiles").innerHTML = ["Emergency", "Inpatient"].map(name => {
    const c = report.classes.find(c => c.encounter_class === name) || { readmission_rate_percent: 0, average_length_of_stay_days: null };
    return '<div class="tile" data-label="' + name + '" data-rate="' + c.readmission_rate_percent + '" data-stay="' + (c.average_length_of_stay_days ?? "") + '"><div class="name">' + name + '</div><div class="big">' +
      c.readmission_rate_percent.toFixed(2) + '%</div><div class="small">readmitted within 7 days</div><div class="big">' + (c.average_length_of_stay_days == null ? "–" : c.average_length_of_stay_days.toFixed(2)) + '</div><div class="small">avg length of stay (days)</div></div>'; }).join("");
  const classColors = n => colorOf(n);
  document.getElementById("age-chart").innerHTML = stackedColumns(normalise(report.classes_by_age_group, "age_group"), classes, classColors, true, "classes-by-age-group");
  const ageOrder = a => { const n = parseInt(a, 10); return isNaN(n) ? 999 : n; };
  const ages = [...new Set(report.top_medications_by_age_group.flatMap(g => g.counts.map(c => c.label)))].sort((a, b) => ageOrder(a) - ageOrder(b));
  document.getElementById("medication-chart").innerHTML = stackedRows(normalise(report.top_medications_by_age_group, "medication"), ages, (n, i) => ageColors[i % ageColors.length], "top-medications");
  document.getElementById("month-chart").innerHTML = stackedColumns(normalise(report.months_of_year, "month"), classes, classColors, false, "months-of-year");
  document.getElementById("cost-donut").innerHTML = donut(report.classes.map(c => ({ label: c.encounter_class, value: Number(c.total_claim_cost), exact: c.total_claim_cost })), "$" + short(Number(report.total_claim_cost)), "claim-cost", "Cost");
  document.getElementById("visit-donut").innerHTML = donut(report.classes.map(c => ({ label: c.encounter_class, value: c.encounters })), short(report.encounters), "visits", "Visits") + legend(classes, classColors);
  document.getElementById("diagnosis-chart").innerHTML = hbars(normalise(report.top_diagnoses_by_class, "encounter_class"), "top-diagnoses");
}
function renderLive(status, marts, quarantine) {
  const ready = document.getElementById("ready");
  ready.textContent = status.ready ? "ready" : "not ready";
  ready.className = "badge " + (status.ready ? "ok" : "bad");
  ready.title = status.reason;
  const lag = (status.partitions || []).reduce((a, p) => a + (p.lag || 0), 0);
  document.getElementById("live").textContent = (status.consuming ? Math.round(status.records_per_second) + " records/s · lag " + fmt(lag) + " · " : "") +
    fmt((status.counters || {}).records_read || 0) + " records read";
  document.getElementById("lag").innerHTML = (status.partitions || []).length ? table(status.partitions.map(p => [p.topic + "/" + p.partition, p.stored_offset ?? "–", p.high_watermark ?? "–", p.lag ?? "–"]), ["partition", "next offset", "log end", "lag"], [0, 1, 1, 1])
    : '<span class="live">no consumer in this process (emr serve)</span>';
  document.getElementById("marts").innerHTML = table(marts.marts.map(m => [m.name, fmt(m.rows)]), ["mart", "rows"], [0, 1]);
  document.getElementById("quarantine").innerHTML = quarantine.records.length ? table(quarantine.records.map(q => [q.topic + "/" + q.partition + "@" + q.offset, q.stage, q.reasons.join("; ")]), ["where", "stage", "reasons"], [0, 0, 0])
    : '<span class="live">nothing quarantined</span>';
}
let busy = false;
async function refresh() {
  if (busy) return; busy = true;
  try {
    const from = document.getElementById("from").value, to = document.getElementById("to").value;
    const q = new URLSearchParams(); if (from) q.set("from", from); if (to) q.set("to", to);
    const [report, status, marts, quarantine] = await Promise.all([api("/api/v1/report?" + q), api("/api/v1/status"), api("/api/v1/marts"), api("/api/v1/quarantine?limit=10")]);
    render(report); renderLive(status, marts, quarantine);
    document.getElementById("error").textContent = "";
    document.body.dataset.loaded = "true";
  } catch (e) { document.getElementById("error").textContent = String(e.message || e); }
  busy = false;
}
document.getElementById("from").onchange = refresh;
document.getElementById("to").onchange = refresh;
document.getElementById("all").onclick = () => { document.getElementById("from").value = ""; document.getElementById("to").value = ""; refresh(); };
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
"""#
}
