(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cell-data").textContent);
  var fields = data.fields, cells = data.cells;
  var table = document.getElementById("heatmap");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.case"));
  var detail = document.getElementById("detail");
  function checked(name) {
    var set = {};
    document.querySelectorAll("input[name=" + name + "]").forEach(function (i) { if (i.checked) set[i.value] = true; });
    return set;
  }
  function apply() {
    var outcomes = checked("outcome"), verdicts = checked("verdict");
    var family = document.getElementById("family").value;
    var q = document.getElementById("search").value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var any = false;
      tr.querySelectorAll("td.c").forEach(function (td) {
        var hit = outcomes[td.dataset.o] && verdicts[td.dataset.v];
        td.classList.toggle("dim", !hit);
        if (hit) any = true;
      });
      var ok = any && (!family || tr.dataset.family === family) &&
               (!q || tr.dataset.case.toLowerCase().indexOf(q) >= 0);
      tr.classList.toggle("hide", !ok);
      if (ok) shown++;
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " cases shown";
  }
  function info(td) {
    var d = cells[Number(td.dataset.i)], o = {};
    fields.forEach(function (f, k) { o[f] = d[k]; });
    return o;
  }
  table.addEventListener("mouseover", function (e) {
    var td = e.target.closest("td.c");
    if (!td || td.title || td.dataset.i === undefined) return;
    var o = info(td);
    td.title = o.configuration + " \u00b7 " + o.case + "\nobserved: " + o.observed +
      "\nexpected: " + o.expected + "\nverdict: " + o.verdict + (o.note ? "\nnote: " + o.note : "");
  });
  var selected = null;
  table.addEventListener("click", function (e) {
    var td = e.target.closest("td.c");
    if (!td || td.dataset.i === undefined) return;
    if (selected) selected.classList.remove("sel");
    selected = td; td.classList.add("sel");
    var o = info(td), dl = detail.querySelector("dl");
    dl.textContent = "";
    fields.forEach(function (f) {
      if (o[f] === null || o[f] === "") return;
      var dt = document.createElement("dt"); dt.textContent = f;
      var dd = document.createElement("dd"); dd.textContent = o[f];
      dl.appendChild(dt); dl.appendChild(dd);
    });
    detail.hidden = false;
  });
  document.getElementById("detail-close").addEventListener("click", function () {
    detail.hidden = true;
    if (selected) { selected.classList.remove("sel"); selected = null; }
  });
  document.getElementById("filters").addEventListener("input", apply);
  document.getElementById("filters").addEventListener("change", apply);
  apply();
  document.body.dataset.ready = "1";
})();
