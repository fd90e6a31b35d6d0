// Draws the page's figures and tables. The data arrives as JSON in <script type="application/json">
// (never as code): figures into <div class="figure" id="figure-N">, tables into <div data-table="N">.
// Every value is written with textContent, and a link only to the site's own pages or the Entra admin
// center: nothing from the logs can become markup or a script.
"use strict";
(function () {
  var SAFE_HREF = /^(?:(?:index|overview|users|policies|security|patterns|[up]-[0-9a-f]{16})\.html|https:\/\/entra\.microsoft\.com\/#view\/[A-Za-z0-9_.\/]+)$/;
  var config = {responsive: true, displaylogo: false};
  JSON.parse(document.getElementById("figures").textContent).forEach(function (figure, i) {
    Plotly.newPlot(document.getElementById("figure-" + i), figure.data, figure.layout, config);
  });

  var tablesNode = document.getElementById("tables");
  var pageRows = parseInt(tablesNode.getAttribute("data-page-rows"), 10);
  var tables = JSON.parse(tablesNode.textContent);

  function text(cell) {
    if (cell === null || cell === undefined) return "";
    return typeof cell === "object" ? String(cell.t) : String(cell);
  }

  function fill(td, cell) {
    if (cell !== null && typeof cell === "object" && SAFE_HREF.test(String(cell.h))) {
      var a = document.createElement("a");
      a.href = cell.h;
      if (cell.h.indexOf("https:") === 0) a.rel = "noreferrer noopener";
      a.textContent = text(cell);
      td.appendChild(a);
    } else {
      td.textContent = text(cell);
    }
    if (typeof cell === "number") td.className = "number";
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
    if (b === null || b === undefined) return -1;
    return text(a).localeCompare(text(b));
  }

  function grid(holder) {
    var data = tables[parseInt(holder.getAttribute("data-table"), 10)];
    var state = {query: "", column: -1, descending: false, page: 0};
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Search " + data.rows.length + " rows";
    search.setAttribute("aria-label", "Search this table");
    var status = document.createElement("span");
    status.className = "status";
    var previous = document.createElement("button");
    previous.textContent = "Previous";
    var next = document.createElement("button");
    next.textContent = "Next";
    var bar = document.createElement("div");
    bar.className = "tools";
    [search, previous, status, next].forEach(function (node) { bar.appendChild(node); });
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    var body = table.createTBody();
    data.columns.forEach(function (name, i) {
      var th = document.createElement("th");
      th.textContent = name;
      th.title = "Sort by " + name;
      th.addEventListener("click", function () {
        state.descending = state.column === i ? !state.descending : false;
        state.column = i;
        state.page = 0;
        draw();
      });
      head.appendChild(th);
    });
    holder.appendChild(bar);
    holder.appendChild(table);

    function rows() {
      var query = state.query.toLowerCase();
      var found = data.rows.filter(function (row) {
        return !query || row.some(function (cell) { return text(cell).toLowerCase().indexOf(query) >= 0; });
      });
      if (state.column >= 0) {
        var c = state.column;
        found = found.slice().sort(function (a, b) { return (state.descending ? -1 : 1) * compare(a[c], b[c]); });
      }
      return found;
    }

    function draw() {
      var found = rows();
      var pages = Math.max(1, Math.ceil(found.length / pageRows));
      state.page = Math.min(state.page, pages - 1);
      var first = state.page * pageRows;
      var shown = found.slice(first, first + pageRows);
      body.textContent = "";
      shown.forEach(function (row) {
        var tr = body.insertRow();
        row.forEach(function (cell) { fill(tr.insertCell(), cell); });
      });
      Array.prototype.forEach.call(head.cells, function (th, i) {
        th.setAttribute("aria-sort", i !== state.column ? "none" : state.descending ? "descending" : "ascending");
      });
      status.textContent = found.length
        ? "rows " + (first + 1) + "–" + (first + shown.length) + " of " + found.length +
          (found.length < data.rows.length ? " (" + data.rows.length + " in all)" : "")
        : "no row matches";
      previous.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      bar.style.display = data.rows.length > pageRows || state.query ? "" : "none";
    }

    search.addEventListener("input", function () { state.query = search.value; state.page = 0; draw(); });
    previous.addEventListener("click", function () { state.page -= 1; draw(); });
    next.addEventListener("click", function () { state.page += 1; draw(); });
    draw();
  }

  Array.prototype.forEach.call(document.querySelectorAll("div.grid"), grid);
})();
