(function () {
  "use strict";
  var runs = Array.prototype.slice.call(document.querySelectorAll("section.run"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.req"));
  var chips = Array.prototype.slice.call(document.querySelectorAll("a.chip"));
  var keys = ["outcome", "protocol", "role", "requirement", "q"];
  var field = {};
  keys.forEach(function (k) { field[k] = document.getElementById("f-" + k); });
  var shown = document.getElementById("shown");

  function wanted() {
    var w = {};
    keys.forEach(function (k) { w[k] = field[k].value.trim(); });
    w.q = w.q.toLowerCase();
    return w;
  }

  function matches(run, w) {
    var d = run.dataset;
    return (!w.outcome || d.outcome === w.outcome) &&
      (!w.protocol || d.protocol === w.protocol) &&
      (!w.role || d.role === w.role) &&
      (!w.requirement || (" " + d.reqs + " ").indexOf(" " + w.requirement + " ") >= 0) &&
      (!w.q || d.text.indexOf(w.q) >= 0);
  }

  function apply(writeHash) {
    var w = wanted();
    var active = keys.some(function (k) { return w[k] !== ""; });
    var visible = {};
    var count = 0;
    runs.forEach(function (run) {
      var ok = matches(run, w);
      run.hidden = !ok;
      if (ok) { visible[run.id] = true; count += 1; }
    });
    chips.forEach(function (chip) { chip.hidden = !visible[chip.dataset.run]; });
    rows.forEach(function (row) {
      var own = row.querySelectorAll("a.chip:not([hidden])").length > 0;
      row.hidden = active && (w.requirement ? row.dataset.req !== w.requirement : !own);
    });
    shown.textContent = count + " of " + runs.length + " runs shown";
    if (writeHash) {
      var parts = [];
      keys.forEach(function (k) { if (w[k]) { parts.push(k + "=" + encodeURIComponent(field[k].value.trim())); } });
      try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) { /* file:// may refuse: the filter still works */ }
    }
    return count;
  }

  function fromHash() {
    var hash = location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) {
      // A plain anchor: make sure what it points at can be seen.
      var target = hash && document.getElementById(hash);
      if (target && target.hidden) { keys.forEach(function (k) { field[k].value = ""; }); }
      return;
    }
    hash.split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      var k = pair.slice(0, at);
      if (field[k]) {
        try { field[k].value = decodeURIComponent(pair.slice(at + 1)); } catch (e) { field[k].value = ""; }
      }
    });
  }

  keys.forEach(function (k) {
    field[k].addEventListener(k === "q" ? "input" : "change", function () { apply(true); });
  });
  document.getElementById("f-clear").addEventListener("click", function () {
    keys.forEach(function (k) { field[k].value = ""; });
    apply(true);
  });
  window.addEventListener("hashchange", function () { fromHash(); apply(false); });
  fromHash();
  var count = apply(false);
  var root = document.documentElement;
  root.setAttribute("data-ready", "1");
  console.info("crosscheck-report-ready: " + count + " of " + runs.length + " runs shown; page width " + root.scrollWidth + " of " + root.clientWidth);
}());
