/* Draws the command centre's charts from the numbers the server put in the page
   (Django's json_script, id "chart-data"); each canvas names its chart in data-chart.
   The same numbers are in the table under each chart. No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  // Colour-blind-safe (Okabe-Ito), then greys.
  var palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999", "#555555"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = charts[canvas.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = palette[index % palette.length];
      var drawn = { label: dataset.label, data: dataset.data, backgroundColor: colour, borderColor: colour };
      if (dataset.type) {
        drawn.type = dataset.type;
        drawn.fill = false;
        drawn.tension = 0.2;
      }
      return drawn;
    });
    var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { precision: 0 } };
    var labelAxis = { stacked: spec.stacked };
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: { legend: { position: "bottom" } }
      }
    });
  });
})();
