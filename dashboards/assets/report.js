// Draws the page's figures. The data arrives as JSON in <script type="application/json" id="figures">
// (never as code), one figure per <div class="figure" id="figure-N">.
"use strict";
(function () {
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var config = {responsive: true, displaylogo: false};
  figures.forEach(function (figure, i) {
    Plotly.newPlot(document.getElementById("figure-" + i), figure.data, figure.layout, config);
  });
})();
