// Draws the page's figures and tables. The data arrives as JSON in <script type="application/json">
// (never as code): figures into <div class="figure" id="figure-N">, tables into <div data-table="N">, and
// a figure's filters (selectors that redraw it from its facts) into <div class="filters" data-figure="N">.
// Every value is written with textContent, and a link only to the site's own pages or the Entra admin
// center: nothing from the logs can become markup or a script.
"use strict";
(function () {
  var SAFE_HREF = /^(?:(?:index|overview|users|policies|security|patterns|[up]-[0-9a-f]{16}|t-[0-9a-f]{16}\/index)\.html|https:\/\/entra\.microsoft\.com\/#view\/[A-Za-z0-9_.\/]+)$/;
  var config = {responsive: true, displaylogo: false};

  // Rows as written by the report: a column with a list in `values` holds indexes into that list.
  function decoded(data) {
    return data.rows.map(function (row) {
      return row.map(function (cell, i) { return data.values[i] ? data.values[i][cell] : cell; });
    });
  }
  JSON.parse(document.getElementById("figures").textContent).forEach(function (figure, i) {
    Plotly.newPlot(document.getElementById("figure-" + i), figure.data, figure.layout, config);
  });

  // Filters: one selector per facet ("every value" or one value). A fact row is [category, series, facet
  // values..., value]; a facet left at "every value" takes the rows that hold every value together (NULL)
  // when the facts roll it up, else all rows. Each point of each trace becomes the sum of the matching rows.
  function filtered(spec, holder) {
    spec.rows = decoded(spec);
    var figure = document.getElementById("figure-" + holder.getAttribute("data-figure"));
    var chosen = spec.facets.map(function () { return null; });
    var status = document.createElement("span");
    status.className = "status";
    spec.facets.forEach(function (facet, f) {
      var label = document.createElement("label");
      label.textContent = facet.label + " ";
      var select = document.createElement("select");
      var every = document.createElement("option");
      every.value = "";
      every.textContent = "all (" + facet.options.length + ")";
      select.appendChild(every);
      facet.options.forEach(function (option, i) {
        var node = document.createElement("option");
        node.value = String(i);
        node.textContent = option[1];
        select.appendChild(node);
      });
      select.addEventListener("change", function () {
        chosen[f] = select.value === "" ? null : facet.options[parseInt(select.value, 10)][0];
        draw();
      });
      label.appendChild(select);
      holder.appendChild(label);
    });
    holder.appendChild(status);

    function matches(row) {
      return spec.facets.every(function (facet, f) {
        var value = row[2 + f];
        return chosen[f] === null ? !facet.rolledUp || value === null : value === chosen[f];
      });
    }

    function sums(select) {
      var found = {total: 0, points: {}};
      spec.rows.forEach(function (row) {
        if (!select(row)) return;
        var value = row[row.length - 1];
        var key = row[1] + "\u0000" + row[0];
        found.points[key] = (found.points[key] || 0) + value;
        found.total += value;
      });
      return found;
    }

    var all = sums(matches).total;  // nothing chosen yet

    function draw() {
      var found = sums(matches);
      var stacks = {};
      var horizontal = figure.data.length > 0 && figure.data[0].orientation === "h";
      var values = figure.data.map(function (trace) {
        var categories = horizontal ? trace.y : trace.x;
        return categories.map(function (category) {
          var value = found.points[trace.name + "\u0000" + category] || 0;
          stacks[category] = (stacks[category] || 0) + value;
          return value;
        });
      });
      var largest = Math.max.apply(null, [0].concat(Object.keys(stacks).map(function (k) { return stacks[k]; })));
      var axis = horizontal ? "xaxis" : "yaxis";
      var layout = {};
      layout[axis + ".dtick"] = largest <= 8 ? 1 : null;  // whole-number ticks while counts are small
      layout[axis + ".tick0"] = largest <= 8 ? 0 : null;
      Plotly.update(figure, horizontal ? {x: values} : {y: values}, layout);
      status.textContent = chosen.every(function (c) { return c === null; })
        ? "all " + all.toLocaleString("en") + " " + spec.unit
        : found.total.toLocaleString("en") + " of " + all.toLocaleString("en") + " " + spec.unit + " shown";
    }
    draw();
  }

  var filterSpecs = JSON.parse(document.getElementById("filters").textContent);
  Array.prototype.forEach.call(document.querySelectorAll("div.filters"), function (holder) {
    var spec = filterSpecs[parseInt(holder.getAttribute("data-figure"), 10)];
    if (spec) filtered(spec, holder);
  });

  var tablesNode = document.getElementById("tables");
  var pageRows = parseInt(tablesNode.getAttribute("data-page-rows"), 10);
  var tables = JSON.parse(tablesNode.textContent);
  tables.forEach(function (table) { table.rows = decoded(table); });

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
