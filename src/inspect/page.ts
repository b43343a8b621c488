/*
 * The inspector's page: one self-contained document (no build step, no CDN, nothing fetched but this server's own
 * JSON and event stream). Data is only ever put into the DOM as text, never as markup.
 */

const STYLE = `
:root { --bg:#0f1419; --panel:#171d24; --line:#2a323c; --text:#d8dee6; --dim:#8a96a3; --ok:#5fd38d; --warn:#f0c05a; --bad:#ff6b6b; --accent:#6cb6ff; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.45 ui-sans-serif,system-ui,sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; gap:16px; align-items:center; padding:10px 16px; border-bottom:1px solid var(--line); }
header h1 { font-size:15px; margin:0; }
header .dim { color:var(--dim); }
#live.on::before { content:"\\25CF "; color:var(--ok); }
#live.off::before { content:"\\25CF "; color:var(--bad); }
main { display:grid; grid-template-columns: minmax(600px, 1.3fr) 1fr; height: calc(100vh - 44px); }
#list { overflow:auto; border-right:1px solid var(--line); }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:5px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { position:sticky; top:0; background:var(--panel); color:var(--dim); font-weight:600; }
tbody tr { cursor:pointer; }
tbody tr:hover { background:#1c242d; }
tbody tr.selected { background:#22303d; }
.s2 { color:var(--ok); } .s4 { color:var(--warn); } .s5 { color:var(--bad); }
.verdict { font-family:ui-monospace,monospace; font-size:12px; }
#detail { overflow:auto; padding:12px 16px; }
#detail h2 { font-size:14px; margin:0 0 6px; }
.meta { color:var(--dim); margin-bottom:8px; }
.meta a { color:var(--accent); cursor:pointer; }
.diagnosis { border:1px solid var(--bad); border-radius:6px; padding:8px 10px; margin:8px 0; background:#2a1717; }
.diagnosis .said { color:var(--dim); margin-bottom:4px; }
.explanation { margin:6px 0; }
.explanation b { color:var(--warn); }
.explanation .fix { color:var(--ok); }
.actions { display:flex; gap:8px; align-items:center; margin:10px 0; flex-wrap:wrap; }
button { background:#23303c; color:var(--text); border:1px solid var(--line); border-radius:5px; padding:4px 10px; cursor:pointer; }
button:hover { border-color:var(--accent); }
input { background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:5px; padding:4px 6px; }
.tabs { display:flex; gap:4px; margin-top:10px; }
.tabs button.active { border-color:var(--accent); color:var(--accent); }
pre { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:8px; overflow:auto; max-height:55vh; white-space:pre-wrap; word-break:break-all; font:12px/1.4 ui-monospace,monospace; }
#action-result { color:var(--dim); }
.empty { color:var(--dim); padding:24px; }
`;

const SCRIPT = `
"use strict";
var base = location.pathname.replace(/\\/+$/, "");
var rows = new Map();
var selected = null;
var current = null;
var tab = "headers";
var MAX_ROWS = 1000;
function el(tag, attrs, text) {
  var node = document.createElement(tag);
  if (attrs) for (var key in attrs) node.setAttribute(key, attrs[key]);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function statusClass(status) { return "s" + String(status).charAt(0); }
function addRow(s) {
  var body = document.getElementById("rows");
  var old = rows.get(s.id);
  var tr = el("tr", { "data-id": s.id, "data-verdict": s.verdict });
  var cells = [s.id, s.time.slice(11, 23), s.method, s.route, s.blocks.join(", "), s.platform || "", s.status,
    s.duration_ms, s.verdict, s.events === null ? "" : s.events, s.unhandled === null ? "" : s.unhandled, s.superseded || ""];
  cells.forEach(function (value, index) {
    var td = el("td", null, value);
    if (index === 6) td.className = statusClass(s.status);
    if (index === 8) td.className = "verdict " + statusClass(s.status);
    tr.appendChild(td);
  });
  tr.addEventListener("click", function () { open(s.id); });
  if (old) body.replaceChild(tr, old); else body.insertBefore(tr, body.firstChild);
  rows.set(s.id, tr);
  if (s.id === selected) tr.classList.add("selected");
  while (rows.size > MAX_ROWS) { var first = rows.keys().next().value; rows.get(first).remove(); rows.delete(first); }
  document.getElementById("count").textContent = rows.size + " request(s)";
  var empty = document.getElementById("empty"); if (empty) empty.remove();
}
function connect() {
  var source = new EventSource(base + "/events");
  var live = document.getElementById("live");
  source.addEventListener("open", function () { live.className = "on"; live.textContent = "live"; });
  source.addEventListener("error", function () { live.className = "off"; live.textContent = "reconnecting"; });
  source.addEventListener("snapshot", function (event) {
    document.getElementById("rows").textContent = ""; rows.clear();
    JSON.parse(event.data).forEach(addRow);
  });
  source.addEventListener("entry", function (event) { addRow(JSON.parse(event.data)); });
  source.addEventListener("bye", function () { source.close(); live.className = "off"; live.textContent = "server stopped"; });
}
function api(path, method, body) {
  return fetch(base + "/api/entries/" + path, {
    method: method || "GET",
    headers: method === "POST" ? { "x-convotic-inspector": "1", "content-type": "application/json" } : {},
    body: body === undefined ? undefined : JSON.stringify(body)
  }).then(function (response) { return response.json().then(function (data) { return { status: response.status, data: data }; }); });
}
function open(id) {
  selected = id;
  rows.forEach(function (tr, key) { tr.classList.toggle("selected", key === id); });
  api(String(id)).then(function (answer) {
    if (answer.status !== 200) { showMessage(answer.data.error); return; }
    current = answer.data; render();
  });
}
function showMessage(text) { var d = document.getElementById("detail"); d.textContent = ""; d.appendChild(el("div", { class: "empty" }, text)); }
function link(text, id) { var a = el("a", null, text); a.addEventListener("click", function () { open(id); }); return a; }
function render() {
  var d = current, s = d.summary, root = document.getElementById("detail");
  root.textContent = "";
  root.appendChild(el("h2", null, "#" + s.id + "  " + s.method + " " + s.route + "  \\u2192 " + s.status + " " + s.verdict));
  var meta = el("div", { class: "meta" });
  meta.appendChild(document.createTextNode(s.time + " \\u00b7 " + (d.route || "no configured route") + " \\u00b7 " + s.duration_ms + " ms \\u00b7 " + d.body.bytes + " bytes" + (d.request_id ? " \\u00b7 request " + d.request_id : "")));
  if (s.duplicate_of !== null) { meta.appendChild(el("br")); meta.appendChild(document.createTextNode("repeats the first delivery ")); var a = link("#" + s.duplicate_of, s.duplicate_of); a.id = "duplicate-of"; meta.appendChild(a); }
  if (s.replay_of !== null) { meta.appendChild(el("br")); meta.appendChild(document.createTextNode("replay of ")); meta.appendChild(link("#" + s.replay_of, s.replay_of)); }
  if (s.duplicates > 0 && s.duplicate_of === null) { meta.appendChild(el("br")); meta.appendChild(document.createTextNode(s.duplicates + " item(s) delivered before (the first delivery is no longer held)")); }
  if (d.superseded && d.superseded.length > 0) {
    var held = el("div", { class: "meta", id: "superseded" });
    held.appendChild(document.createTextNode(d.superseded.length + " status(es) held back (statusOrder: the message was further already; acknowledged, not delivered):"));
    d.superseded.forEach(function (x) { held.appendChild(el("br")); held.appendChild(document.createTextNode(x.type + " " + x.id + (x.message_id ? " (message " + x.message_id + ")" : ""))); });
    meta.appendChild(held);
  }
  root.appendChild(meta);
  if (d.error) root.appendChild(el("div", { class: "meta", id: "error" }, d.error.code + ": " + d.error.message));
  if (d.diagnosis) {
    var box = el("div", { class: "diagnosis", id: "diagnosis" });
    box.appendChild(el("div", { class: "said" }, "Why the signature failed (" + d.diagnosis.said + "):"));
    d.diagnosis.explanations.forEach(function (x) {
      var item = el("div", { class: "explanation", "data-kind": x.kind });
      item.appendChild(el("b", null, x.message));
      item.appendChild(el("div", { class: "fix" }, "Fix: " + x.fix));
      box.appendChild(item);
    });
    root.appendChild(box);
  }
  var actions = el("div", { class: "actions" });
  var replay = el("button", { id: "replay" }, "Replay");
  replay.addEventListener("click", function () {
    api(s.id + "/replay", "POST").then(function (answer) {
      var r = answer.data;
      var out = document.getElementById("action-result");
      out.textContent = answer.status === 200 ? "replayed: " + r.status + " " + r.body + (r.entry ? " (entry #" + r.entry + ")" : "") : r.error;
    });
  });
  var name = el("input", { id: "case-name", placeholder: "case name", value: "inspected-" + s.id, size: 18 });
  var save = el("button", { id: "save" }, "Save as fixture");
  save.addEventListener("click", function () {
    api(s.id + "/fixture", "POST", { name: name.value }).then(function (answer) {
      document.getElementById("action-result").textContent = answer.status === 200 ? "saved " + answer.data.body + " and " + answer.data.golden : answer.data.error;
    });
  });
  var curl = el("button", { id: "curl" }, "Copy as signed curl");
  curl.addEventListener("click", function () {
    api(s.id + "/curl", "POST").then(function (answer) {
      var out = document.getElementById("action-result");
      if (answer.status !== 200) { out.textContent = answer.data.error; return; }
      var shown = document.getElementById("curl-command");
      if (!shown) { shown = el("pre", { id: "curl-command" }); out.after(shown); }
      shown.textContent = answer.data.command;
      if (navigator.clipboard) navigator.clipboard.writeText(answer.data.command).then(function () { out.textContent = "copied (signed now with the block's secret)"; }, function () { out.textContent = "signed now with the block's secret:"; });
    });
  });
  [replay, name, save, curl].forEach(function (node) { actions.appendChild(node); });
  root.appendChild(actions);
  root.appendChild(el("div", { id: "action-result" }));
  var tabs = el("div", { class: "tabs" });
  ["headers", "body", "exact", "envelopes", "unhandled", "response"].forEach(function (name) {
    var button = el("button", { "data-tab": name }, name);
    if (name === tab) button.className = "active";
    button.addEventListener("click", function () { tab = name; render(); });
    tabs.appendChild(button);
  });
  root.appendChild(tabs);
  var content;
  if (tab === "headers") content = JSON.stringify(d.headers, null, 2);
  else if (tab === "body") content = d.body.pretty === null ? d.body.exact : d.body.pretty;
  else if (tab === "exact") content = d.body.exact;
  else if (tab === "envelopes") content = d.envelopes === null ? "(not normalised before the answer)" : JSON.stringify(d.envelopes, null, 2);
  else if (tab === "unhandled") content = d.unhandled === null ? "(none)" : d.unhandled.length === 0 ? "(none)" : d.unhandled.map(function (u) { return u.kind + ": " + u.reason; }).join("\\n") + "\\n\\n" + JSON.stringify(d.unhandled, null, 2);
  else content = d.response.body;
  root.appendChild(el("pre", { id: "tab-" + tab }, content));
}
connect();
`;

export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>convotic inspector</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>convotic inspector</h1><span id="live" class="off">connecting</span><span id="count" class="dim">0 request(s)</span><span class="dim">development tool: bodies and replays of this server's webhooks</span></header>
<main>
<section id="list"><table><thead><tr><th>#</th><th>time</th><th>method</th><th>route</th><th>block</th><th>platform</th><th>status</th><th>ms</th><th>verdict</th><th title="events">ev</th><th title="unhandled items">unh</th><th title="statuses held back by statusOrder">sup</th></tr></thead><tbody id="rows"></tbody></table><div id="empty" class="empty">Waiting for webhooks…</div></section>
<section id="detail"><div class="empty">Select a request.</div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
