/* smartpractice dashboard: draws the charts described by <script type="application/json">
   blocks (see charts.py) with the vendored Chart.js, and the operations page's live update.
   Everything shown in a chart is also in a table, so the pages work without this script. */
(function () {
  "use strict";

  // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
  // A second cue besides colour: point shape and dash pattern differ per line.
  var POINTS = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "cross", "rectRounded"];
  var DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 4], [1, 3], [10, 2, 2, 2]];

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function axis(title, extra) {
    var a = { type: "linear", title: { display: true, text: title } };
    for (var k in extra) { a[k] = extra[k]; }
    return a;
  }

  function lines(spec) {
    return {
      type: "line",
      data: {
        datasets: spec.series.map(function (s, i) {
          return {
            label: s.label,
            data: s.points.map(function (p) { return { x: p[0], y: p[1] }; }),
            borderColor: PALETTE[i % PALETTE.length],
            backgroundColor: PALETTE[i % PALETTE.length],
            borderDash: DASHES[i % DASHES.length],
            pointStyle: POINTS[i % POINTS.length],
            pointRadius: 3,
            borderWidth: 2,
            tension: 0
          };
        })
      },
      options: {
        scales: { x: axis(spec.x, { ticks: { precision: 0 } }), y: axis(spec.y, {}) }
      }
    };
  }

  function calibration(spec) {
    return {
      type: "scatter",
      data: {
        datasets: [
          {
            label: "Observed per bin (area = events)",
            data: spec.points.map(function (p) { return { x: p[0], y: p[1], n: p[2] }; }),
            backgroundColor: PALETTE[0],
            pointStyle: "circle",
            pointRadius: spec.points.map(function (p) { return Math.max(3, Math.min(12, Math.sqrt(p[2]))); })
          },
          {
            label: "Perfect calibration",
            type: "line",
            data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
            borderColor: PALETTE[6],
            borderDash: [6, 3],
            pointRadius: 0,
            borderWidth: 1
          }
        ]
      },
      options: {
        scales: { x: axis(spec.x, { min: 0, max: 1 }), y: axis(spec.y, { min: 0, max: 1 }) }
      }
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var config = spec.kind === "calibration" ? calibration(spec) : lines(spec);
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.animation = reducedMotion() ? false : { duration: 300 };
    config.options.plugins = { legend: { position: "bottom", labels: { usePointStyle: true } } };
    new window.Chart(canvas, config);
  }

  function lookup(figures, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, figures);
  }

  function liveUpdate(box) {
    var status = document.getElementById("live-status");
    var timer = null;
    function refresh() {
      fetch(box.getAttribute("data-source"), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (figures) {
          document.querySelectorAll("[data-figure]").forEach(function (el) {
            var v = lookup(figures, el.getAttribute("data-figure"));
            var digits = parseInt(el.getAttribute("data-digits") || "2", 10);
            el.textContent = v == null ? "–" : Number(v).toLocaleString(undefined, {
              minimumFractionDigits: digits, maximumFractionDigits: digits
            });
          });
          if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
        })
        .catch(function () { if (status) { status.textContent = "Update failed; retrying."; } });
    }
    box.addEventListener("change", function () {
      if (box.checked) { refresh(); timer = window.setInterval(refresh, 5000); }
      else if (timer) { window.clearInterval(timer); timer = null; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
    var live = document.getElementById("live");
    if (live) { liveUpdate(live); }
  });
})();
