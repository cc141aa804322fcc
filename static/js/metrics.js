/* The brand's service charts, drawn with Chart.js (served from static/vendor). Without it the
 * tables below the charts carry the same figures. */
(function () {
  "use strict";
  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  var gettext = window.gettext || function (text) { return text; };

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : [];
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) return;
    var css = getComputedStyle(document.documentElement);
    var brand = css.getPropertyValue("--brand").trim() || "#2f6f5e";
    var accent = css.getPropertyValue("--accent").trim() || "#f0a33a";
    var muted = css.getPropertyValue("--muted").trim() || "#6b7487";
    window.Chart.defaults.color = muted;
    window.Chart.defaults.font.family = css.fontFamily;

    var daily = data("metrics-daily");
    var dailyCanvas = document.getElementById("chart-daily");
    if (dailyCanvas) {
      dailyCanvas.chart = new window.Chart(dailyCanvas, {
        type: "bar",
        data: {
          labels: daily.map(function (d) { return d.day; }),
          datasets: [
            { label: gettext("Answered automatically"), data: daily.map(function (d) { return d.automated; }), backgroundColor: accent },
            { label: gettext("Handed to people"), data: daily.map(function (d) { return d.human; }), backgroundColor: brand },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }

    var products = data("metrics-products").filter(function (p) { return p.csat_mean !== null; });
    var productCanvas = document.getElementById("chart-products");
    if (productCanvas) {
      productCanvas.chart = new window.Chart(productCanvas, {
        type: "bar",
        data: {
          labels: products.map(function (p) { return p.product || gettext("No product"); }),
          datasets: [{ label: gettext("Mean rating"), data: products.map(function (p) { return p.csat_mean; }), backgroundColor: brand }],
        },
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } },
          scales: { x: { min: 0, max: 5 } },
        },
      });
    }
    document.documentElement.dataset.chartsDrawn = "1";
  });
})();
