"use strict";
(function () {
  // All data comes from the JSON block; every string is put in the page with textContent, never as markup.
  var data = JSON.parse(document.getElementById("audit-data").textContent);
  var OUT = data.outcomes;            // index -> outcome name, as in results.json
  var SEV = ["critical", "high", "medium", "low", "info"];
  var WORST = { fail: 0, error: 1, waived: 2, pass: 3, notApplicable: 4 };
  var WORD = { fail: "fail", error: "error", waived: "waived", pass: "pass", notApplicable: "n/a" };
  var PAGE = 100;
  // Rows are arrays; each kind's field names come once, in data.layout (written from ReportRowLayout in C#, documented
  // by schema/report-data.v1.schema.json). A field is read by its name, r[VERDICT.entity], never by its number.
  function fields(kind) {
    var f = {};
    data.layout[kind].forEach(function (name, i) { f[name] = i; });
    return f;
  }
  var VERDICT = fields("verdict"), RULE = fields("rule"), RULE_TREND = fields("ruleTrend"), WAIVER = fields("waiver");
  var rows = data.verdicts;           // verdict rows
  var rules = data.rules;             // rule rows; a verdict's rule field is a position here
  function ruleOf(r) { return rules[r[VERDICT.rule]]; }
  function outcomeOf(r) { return OUT[r[VERDICT.outcome]]; }
  function waiverExpired(r) { var w = r[VERDICT.waiver]; return !!(w && w[WAIVER.expired]); }
  var TREND = data.trend;             // run labels of the trend (oldest first, "this run" last), or null without one
  var SVG = "http://www.w3.org/2000/svg";
  var state = { outcomes: {}, severity: "", rule: "", family: -1, group: -1, text: "", onlyNew: false, sort: "default", dir: 1, page: 0, all: false };
  var current = [];
  var open = {};

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  // Text whose words never break inside (WHISKE|Y, hyperv-|ops): each word a span that moves to the next line whole
  // (only a word longer than a line is broken), as text.
  function words(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(\s+)/).forEach(function (w) {
      if (w === "") { return; }
      if (/^\s+$/.test(w)) { frag.appendChild(document.createTextNode(w)); return; }
      frag.appendChild(el("span", "tok", w));
    });
    return frag;
  }

  // A reference as text, linked to its source where it names one: a KB number to Microsoft's support page, an https
  // address as itself. Links load nothing until followed; the address is built from digits or checked to be https.
  function reference(ref) {
    var frag = document.createDocumentFragment();
    var kb = /\bKB(?<number>\d{6,7})\b/.exec(ref);
    var url = /^https:\/\/[^\s"<>]+$/.test(ref) ? ref : null;
    var href = url || (kb ? "https://support.microsoft.com/help/" + kb.groups.number : null);
    if (!href) { frag.appendChild(words(ref)); return frag; }
    var a = el("a");
    a.setAttribute("href", href);
    a.setAttribute("rel", "noreferrer noopener");
    a.appendChild(words(ref));
    frag.appendChild(a);
    return frag;
  }

  // A rule's trend in words (what prints and what a screen reader reads): its failing and erroring entities per run.
  function trendText(t) {
    function seq(a) { return a.map(function (v) { return v === null ? "not checked" : String(v); }).join(", "); }
    return "failing entities in the last " + TREND.length + " runs (" + TREND[0] + " to this run): " + seq(t[RULE_TREND.fail]) +
      "; erroring: " + seq(t[RULE_TREND.error]);
  }

  // A small line of a rule's failing entities per run (a gap where a run did not check it), beside its numbers.
  function sparkline(t) {
    var fail = t[RULE_TREND.fail];
    var w = 120, h = 24, n = fail.length, max = 1;
    fail.forEach(function (v) { if (v !== null && v > max) { max = v; } });
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(h));
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("aria-hidden", "true");
    var pts = [];
    function flush() {
      if (pts.length > 1) {
        var line = document.createElementNS(SVG, "polyline");
        line.setAttribute("points", pts.join(" "));
        line.setAttribute("fill", "none");
        svg.appendChild(line);
      }
      pts = [];
    }
    fail.forEach(function (v, i) {
      if (v === null) { flush(); return; }
      var x = n === 1 ? w / 2 : 3 + i * (w - 6) / (n - 1);
      var y = h - 3 - v / max * (h - 6);
      pts.push(x.toFixed(1) + "," + y.toFixed(1));
      var dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x.toFixed(1));
      dot.setAttribute("cy", y.toFixed(1));
      dot.setAttribute("r", "2");
      svg.appendChild(dot);
    });
    flush();
    return svg;
  }

  // The evidence pack, built for printing: every failing, erroring and waived finding (whatever the filters), severity
  // first, each with its rule, expected and actual, remediation, waiver and references.
  function evidencePack() {
    var pack = $("evidence-pack");
    pack.textContent = "";
    var list = [];
    for (var i = 0; i < rows.length; i++) { var o = outcomeOf(rows[i]); if (o === "fail" || o === "error" || o === "waived") { list.push(i); } }
    list.sort(function (a, b) { return bySeverity(rows[a], rows[b]) || a - b; });
    pack.appendChild(el("h2", null, "Evidence: " + list.length + " failing, erroring and waived checks"));
    list.forEach(function (i) {
      var r = rows[i];
      var o = outcomeOf(r);
      var item = el("div", "ev o-row-" + o);
      var h = el("h3");
      h.appendChild(el("span", "o-" + o, WORD[o] + (waiverExpired(r) ? " (waiver expired)" : "")));
      h.appendChild(document.createTextNode(" "));
      h.appendChild(el("span", "sev-" + r[VERDICT.severity], r[VERDICT.severity]));
      h.appendChild(document.createTextNode(" "));
      h.appendChild(el("span", "nb", ruleOf(r)[RULE.id]));
      h.appendChild(document.createTextNode(" "));
      h.appendChild(words(r[VERDICT.entity]));
      item.appendChild(h);
      var msg = el("p", "msg");
      msg.appendChild(words(r[VERDICT.message]));
      item.appendChild(msg);
      item.appendChild(detail(r));
      pack.appendChild(item);
    });
    pack.hidden = false;
  }

  function readFilters() {
    state.outcomes = {};
    var boxes = document.querySelectorAll("input[name=outcome]");
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) { state.outcomes[boxes[i].value] = true; } }
    state.severity = $("filter-severity").value;
    state.rule = $("filter-rule").value;
    var fam = $("filter-family").value;
    state.family = fam === "" ? -1 : data.families.indexOf(fam);
    var g = $("filter-group").value;
    state.group = g === "" ? -1 : parseInt(g, 10);
    state.text = $("filter-text").value.trim().toLowerCase();
    state.onlyNew = !!($("filter-new") && $("filter-new").checked);
  }

  function matches(r) {
    if (!state.outcomes[outcomeOf(r)]) { return false; }
    if (state.onlyNew && !r[VERDICT.new]) { return false; }
    if (state.severity && r[VERDICT.severity] !== state.severity) { return false; }
    if (state.rule && ruleOf(r)[RULE.id] !== state.rule) { return false; }
    if (state.family >= 0 && ruleOf(r)[RULE.family] !== state.family) { return false; }
    if (state.group >= 0 && r[VERDICT.group] !== state.group) { return false; }
    if (state.text) {
      var rule = ruleOf(r);
      var hay = (rule[RULE.id] + "\u0000" + rule[RULE.title] + "\u0000" + r[VERDICT.entity] + "\u0000" + r[VERDICT.message] + "\u0000" +
        data.groups[r[VERDICT.group]]).toLowerCase();
      if (hay.indexOf(state.text) < 0) { return false; }
    }
    return true;
  }

  function key(r, k) {
    switch (k) {
      case "outcome": return WORST[outcomeOf(r)];
      case "severity": return SEV.indexOf(r[VERDICT.severity]);
      case "rule": return ruleOf(r)[RULE.id];
      case "entity": return r[VERDICT.entity];
      case "message": return r[VERDICT.message];
    }
    return 0;
  }

  function compare(a, b) {
    if (state.sort === "default") {
      return bySeverity(a, b);
    }
    var x = key(a, state.sort), y = key(b, state.sort);
    var c = typeof x === "number" ? x - y : cmp(x, y);
    return (c * state.dir) || cmp(ruleOf(a)[RULE.id], ruleOf(b)[RULE.id]) || cmp(a[VERDICT.entity], b[VERDICT.entity]);
  }
  // Default order: severity first (a high-severity error before an info failure), then fail, error, waived, pass, n/a.
  function bySeverity(a, b) {
    return (SEV.indexOf(a[VERDICT.severity]) - SEV.indexOf(b[VERDICT.severity])) || (WORST[outcomeOf(a)] - WORST[outcomeOf(b)]) ||
      cmp(ruleOf(a)[RULE.id], ruleOf(b)[RULE.id]) || cmp(a[VERDICT.entity], b[VERDICT.entity]);
  }
  function cmp(x, y) { return x < y ? -1 : x > y ? 1 : 0; }

  function apply() {
    readFilters();
    current = [];
    for (var i = 0; i < rows.length; i++) { if (matches(rows[i])) { current.push(i); } }
    current.sort(function (a, b) { return compare(rows[a], rows[b]) || a - b; });
    state.page = 0;
    draw();
  }

  function detail(r) {
    var rule = ruleOf(r);
    var dl = el("dl");
    function item(label, value, cls) {
      if (value === null || value === undefined || value === "") { return; }
      dl.appendChild(el("dt", null, label));
      var dd = el("dd", cls || null);
      dd.appendChild(words(value));
      dl.appendChild(dd);
    }
    item("Rule", rule[RULE.id] + ": " + rule[RULE.title]);
    item("Scope", rule[RULE.scope] + " \u2014 group " + data.groups[r[VERDICT.group]]);
    item("Why", rule[RULE.rationale]);
    item("Expected", r[VERDICT.expected], "evidence");
    item("Actual", r[VERDICT.actual], "evidence");
    item("Remediation", r[VERDICT.remediation] || rule[RULE.remediation]);
    var references = rule[RULE.references];
    if (references && references.length) {
      dl.appendChild(el("dt", null, "References"));
      var refs = el("dd", "refs");
      references.forEach(function (ref) { var line = el("div"); line.appendChild(reference(ref)); refs.appendChild(line); });
      dl.appendChild(refs);
    }
    var trend = rule[RULE.trend];
    if (TREND && trend) {
      dl.appendChild(el("dt", null, "Trend"));
      var dd = el("dd", "trend-rule");
      dd.appendChild(sparkline(trend));
      dd.appendChild(document.createTextNode(" "));
      dd.appendChild(el("span", "trend-text", trendText(trend)));
      dl.appendChild(dd);
    }
    var w = r[VERDICT.waiver];
    if (w) {
      // The details are worded once, in C# (WaiverWording.Details).
      item(w[WAIVER.expired] ? "Waiver (expired, not applied)" : "Waiver", w[WAIVER.details]);
    }
    return dl;
  }

  function row(i, target) {
    var r = rows[i];
    var o = outcomeOf(r);
    var tr = el("tr", "finding o-row-" + o);
    tr.setAttribute("data-index", String(i));
    tr.setAttribute("data-outcome", o);
    tr.setAttribute("tabindex", "0");
    var fresh = r[VERDICT.new];
    tr.appendChild(el("td", "o-" + o, (fresh ? "NEW " : "") + WORD[o] + (waiverExpired(r) ? " (waiver expired)" : "")));
    if (fresh) { tr.setAttribute("data-new", "true"); }
    tr.appendChild(el("td", "sev-" + r[VERDICT.severity], r[VERDICT.severity]));
    tr.appendChild(el("td", "nb", ruleOf(r)[RULE.id]));
    var entity = el("td");
    entity.appendChild(words(r[VERDICT.entity]));
    tr.appendChild(entity);
    tr.appendChild(el("td", null, r[VERDICT.message]));
    target.appendChild(tr);
    if (open[i]) { target.appendChild(detailRow(i)); }
    return tr;
  }

  function detailRow(i) {
    var tr = el("tr", "detail");
    tr.setAttribute("data-detail", String(i));
    var td = el("td");
    td.colSpan = 5;
    td.appendChild(detail(rows[i]));
    tr.appendChild(td);
    return tr;
  }

  function toggle(tr) {
    var i = parseInt(tr.getAttribute("data-index"), 10);
    var next = tr.nextSibling;
    if (next && next.getAttribute && next.getAttribute("data-detail") === String(i)) {
      next.parentNode.removeChild(next);
      delete open[i];
    } else {
      tr.parentNode.insertBefore(detailRow(i), tr.nextSibling);
      open[i] = true;
    }
  }

  function draw() {
    var body = $("findings-body");
    var fresh = body.cloneNode(false);
    var pages = Math.max(1, Math.ceil(current.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.all ? 0 : state.page * PAGE;
    var end = state.all ? current.length : Math.min(current.length, start + PAGE);
    for (var k = start; k < end; k++) { row(current[k], fresh); }
    body.parentNode.replaceChild(fresh, body);
    var status = $("status");
    status.setAttribute("data-shown", String(end - start));
    status.setAttribute("data-matching", String(current.length));
    status.textContent = current.length === 0 ? "No finding matches the filters." :
      "Showing " + (start + 1) + "\u2013" + end + " of " + current.length + " matching checks (" + rows.length + " in all).";
    $("page-info").textContent = "page " + (state.page + 1) + " of " + pages;
    $("page-prev").disabled = state.page === 0;
    $("page-next").disabled = state.page >= pages - 1;
    var heads = document.querySelectorAll("#findings thead button");
    for (var h = 0; h < heads.length; h++) {
      var s = heads[h].getAttribute("data-sort");
      if (s === state.sort) { heads[h].setAttribute("data-dir", state.dir > 0 ? "asc" : "desc"); } else { heads[h].removeAttribute("data-dir"); }
    }
  }

  // One host's checks (every outcome, severity first), reached from the matrix or the worst-hosts list.
  function showHost(g) {
    var list = [];
    var counts = { fail: 0, error: 0, waived: 0, pass: 0, notApplicable: 0 };
    for (var i = 0; i < rows.length; i++) { if (rows[i][VERDICT.group] === g) { list.push(i); counts[outcomeOf(rows[i])]++; } }
    list.sort(function (a, b) { return bySeverity(rows[a], rows[b]) || a - b; });
    var table = el("table", "findings host-findings");
    var head = el("tr");
    ["Outcome", "Severity", "Rule", "Entity", "Finding"].forEach(function (t) { head.appendChild(el("th", null, t)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el("tbody");
    list.forEach(function (i) { row(i, tbody); });
    table.appendChild(tbody);
    var body = $("host-detail-body");
    body.textContent = "";
    body.appendChild(table);
    var section = $("host-detail");
    section.setAttribute("data-group", String(g));
    $("host-detail-title").textContent = data.groups[g];
    $("host-detail-status").textContent = list.length + " checks: " + counts.fail + " fail, " + counts.error + " error, " + counts.waived +
      " waived, " + counts.pass + " pass, " + counts.notApplicable + " n/a. Select a finding for its evidence.";
    section.hidden = false;
    section.scrollIntoView();
  }

  // The matrix: failing rows only by default, by cluster, sorted worst first (as rendered), by failures, errors or name.
  function applyMatrix() {
    var failing = $("matrix-failing").checked;
    var cluster = $("matrix-cluster").value;
    var sort = $("matrix-sort").value;
    var body = document.querySelector("#matrix tbody");
    var trs = Array.prototype.slice.call(body.rows);
    var shown = 0;
    trs.forEach(function (tr) {
      var bad = +tr.getAttribute("data-fail") + +tr.getAttribute("data-error") > 0;
      var hide = (failing && !bad) || (cluster !== "" && tr.getAttribute("data-cluster") !== cluster);
      tr.hidden = hide;
      if (!hide) { shown++; }
    });
    function n(tr, a) { return +tr.getAttribute(a); }
    trs.sort(function (a, b) {
      var ga = n(a, "data-group"), gb = n(b, "data-group");
      if (sort === "fail") { return (n(b, "data-fail") - n(a, "data-fail")) || ga - gb; }
      if (sort === "error") { return (n(b, "data-error") - n(a, "data-error")) || ga - gb; }
      if (sort === "name") { return ga - gb; }
      return +a.getAttribute("data-order") - +b.getAttribute("data-order");
    });
    var frag = document.createDocumentFragment();
    trs.forEach(function (tr) { frag.appendChild(tr); });
    body.appendChild(frag);
    var status = $("matrix-status");
    status.setAttribute("data-shown", String(shown));
    status.textContent = shown + " of " + trs.length + " rows shown";
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) { return; }
    var cell = t.closest(".cell-btn");
    if (cell) {
      $("filter-group").value = cell.getAttribute("data-group");
      $("filter-family").value = cell.getAttribute("data-family");
      var boxes = document.querySelectorAll("input[name=outcome]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = true; }
      apply();
      $("findings-section").scrollIntoView();
      return;
    }
    var host = t.closest(".host-btn");
    if (host) { showHost(parseInt(host.getAttribute("data-group"), 10)); return; }
    var ruleBtn = t.closest(".rule-btn");
    if (ruleBtn) {
      $("filters").reset();
      $("filter-rule").value = ruleBtn.getAttribute("data-rule");
      apply();
      $("findings-section").scrollIntoView();
      return;
    }
    var clusterBtn = t.closest(".cluster-btn");
    if (clusterBtn) {
      $("matrix-cluster").value = clusterBtn.getAttribute("data-cluster");
      applyMatrix();
      $("matrix-section").scrollIntoView();
      return;
    }
    var sort = t.closest("#findings thead button");
    if (sort) {
      var k = sort.getAttribute("data-sort");
      state.dir = state.sort === k ? -state.dir : 1;
      state.sort = k;
      var keep = state.page;
      apply();
      state.page = keep;
      draw();
      return;
    }
    var tr = t.closest("tr.finding");
    if (tr) { toggle(tr); }
  });
  document.addEventListener("keydown", function (ev) {
    if ((ev.key === "Enter" || ev.key === " ") && ev.target instanceof Element && ev.target.matches("tr.finding")) {
      ev.preventDefault();
      toggle(ev.target);
    }
  });
  $("filters").addEventListener("change", apply);
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  var timer = 0;
  $("filter-text").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  $("filter-reset").addEventListener("click", function () {
    $("filters").reset();
    state.sort = "default"; state.dir = 1;
    apply();
  });
  $("page-prev").addEventListener("click", function () { if (state.page > 0) { state.page--; draw(); } });
  $("page-next").addEventListener("click", function () { state.page++; draw(); });
  $("matrix-controls").addEventListener("change", applyMatrix);
  $("matrix-controls").addEventListener("submit", function (ev) { ev.preventDefault(); });
  var matrixRows = document.querySelectorAll("#matrix tbody tr");
  for (var m = 0; m < matrixRows.length; m++) { matrixRows[m].setAttribute("data-order", String(m)); }
  $("matrix-status").textContent = document.querySelectorAll("#matrix tbody tr:not([hidden])").length + " of " + matrixRows.length + " rows shown";
  // Printing: every collapsed section opened, and the evidence pack in place of the interactive table.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
    evidencePack();
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    $("evidence-pack").hidden = true;
    $("evidence-pack").textContent = "";
  });
  apply();
  // Milliseconds from navigation start to a usable page (HTML parsed, data read, first page of findings drawn).
  document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.documentElement.setAttribute("data-ready", "true");
})();
