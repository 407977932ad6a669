// keysweep report: sort, filter and count. Reads only data-* attributes and
// text of the rows; never evaluates anything from the page.
(function () {
  "use strict";
  var table = document.getElementById("t");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById("shown");
  var controls = document.getElementById("controls");
  var query = document.getElementById("q");
  var toggles = document.getElementById("toggles");
  var rank = { critical: 0, high: 1, medium: 2, low: 3 };
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var off = { sev: {}, prov: {}, st: {} };
  var none = { sev: "(none)", prov: "(none)", st: "not checked" };

  function values(key) {
    var seen = {};
    rows.forEach(function (r) { seen[r.dataset[key] || none[key]] = true; });
    return Object.keys(seen).sort(function (a, b) {
      return key === "sev" ? rank[a] - rank[b] : a.localeCompare(b);
    });
  }

  function apply() {
    var started = performance.now();
    var q = query.value.trim().toLowerCase();
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!q || text[i].indexOf(q) !== -1 || (r.dataset.fingerprint || "").indexOf(q) !== -1) &&
        !off.sev[r.dataset.sev || none.sev] &&
        !off.prov[r.dataset.prov || none.prov] &&
        !off.st[r.dataset.st || none.st];
      if (r.hidden === ok) { r.hidden = !ok; }
      if (ok) { n++; }
    }
    shown.textContent = String(n);
    // How long the last filter took (bench/html-report.sh reads it).
    shown.setAttribute("data-filter-ms", (performance.now() - started).toFixed(1));
  }

  var names = { sev: "severity", prov: "provider", st: "status" };
  ["sev", "prov", "st"].forEach(function (key) {
    var group = document.createElement("span");
    group.appendChild(document.createTextNode(names[key] + ": "));
    values(key).forEach(function (v) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", function () { off[key][v] = !box.checked; apply(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + v));
      group.appendChild(label);
    });
    toggles.appendChild(group);
  });

  var timer = null;
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 60);
  });

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var kind = th.dataset.sort;
    if (!kind) { return; }
    th.tabIndex = 0;
    var sort = function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = function (r) {
        var t = r.cells[col].textContent;
        if (kind === "sev") { return rank[t] === undefined ? 9 : rank[t]; }
        if (kind === "num") { return parseInt(t, 10) || 0; }
        return t.toLowerCase();
      };
      var order = rows.map(function (r, i) { return [key(r), i]; });
      order.sort(function (a, b) {
        var d = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
        return asc ? d : -d;
      });
      var frag = document.createDocumentFragment();
      order.forEach(function (o) { frag.appendChild(rows[o[1]]); });
      body.appendChild(frag);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });

  controls.hidden = false;
  // A link may carry a filter: report.html#q=github (only ever a search text).
  if (location.hash.indexOf("#q=") === 0) {
    query.value = decodeURIComponent(location.hash.slice(3));
    apply();
  }
}());
