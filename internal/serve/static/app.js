// sagesaver dashboard: theme switcher and charts (uPlot). Chart data comes
// from <script type="application/json" class="chart-data"> blocks, never
// from inline script. When everything on the page is drawn, <body> gets
// data-ready="true": the browser tests wait on it.
(function () {
  "use strict";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  var palette = ["--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7", "--c8", "--c9", "--c10"];

  function initTheme() {
    var sel = document.getElementById("theme");
    if (!sel) return;
    sel.value = document.documentElement.getAttribute("data-theme") || "system";
    sel.addEventListener("change", function () {
      document.documentElement.setAttribute("data-theme", sel.value);
      try { localStorage.setItem("sagesaver-theme", sel.value); } catch (e) { /* ignore */ }
      drawAll(true);
    });
  }

  function fmtTime(ts) {
    var d = new Date(ts * 1000);
    return d.toISOString().slice(5, 16).replace("T", " ");
  }

  // fmtValue is a legend value: dollars with cents, percentages with one
  // decimal, counts as they are; "–" for a gap.
  function fmtValue(unit, v) {
    if (v == null) return "–";
    if (unit === "$/h" || unit === "$") return "$" + v.toFixed(2);
    if (unit.charAt(0) === "%") return v.toFixed(1) + "%";
    return String(v);
  }

  function draw(fig) {
    var data = JSON.parse(fig.querySelector(".chart-data").textContent);
    var box = fig.querySelector(".chart-box");
    box.textContent = "";
    var width = Math.max(320, box.clientWidth || fig.clientWidth || 640);
    var axis = { stroke: css("--muted"), grid: { stroke: css("--grid"), width: 1 }, ticks: { stroke: css("--grid") } };
    var series = [{ label: "time (UTC)", value: function (u, v) { return v == null ? "" : fmtTime(v); } }];
    var cols = [data.x];
    data.series.forEach(function (s, i) {
      var color = css(palette[i % palette.length]);
      series.push({
        label: s.name,
        stroke: color,
        width: 2,
        fill: data.stacked ? color + "33" : undefined,
        spanGaps: false,
        // A run-rate or a count holds from its point until the next.
        paths: data.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
        points: { show: data.x.length < 40 },
        value: function (u, v) { return fmtValue(data.unit, v); }
      });
      cols.push(s.values);
    });
    if (data.threshold != null) {
      series.push({ label: data.threshold_label || "threshold", stroke: css("--bad"), width: 1.5, dash: [6, 4], points: { show: false } });
      cols.push(data.x.map(function () { return data.threshold; }));
    }
    var opts = {
      width: width,
      height: 260,
      series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true, range: function (u, min, max) { return min === max ? [min - 3600, max + 3600] : [min, max]; } }, y: { range: function (u, min, max) { return [0, Math.max(data.y_max || 1, max * 1.1)]; } } },
      axes: [
        Object.assign({}, axis, { space: 80 }),
        Object.assign({}, axis, { label: data.unit, labelSize: 20, size: 76, gap: 6 })
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } }
    };
    new uPlot(opts, cols, box);
    box.setAttribute("data-drawn", "true");
  }

  function drawAll() {
    document.querySelectorAll("figure.chart").forEach(function (fig) {
      try { draw(fig); } catch (e) { fig.setAttribute("data-error", String(e)); throw e; }
    });
  }

  function ready() {
    document.body.setAttribute("data-ready", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTheme();
    drawAll();
    ready();
    var mq = window.matchMedia("(prefers-color-scheme: dark)");
    if (mq.addEventListener) mq.addEventListener("change", function () { drawAll(); });
  });
  // htmx swaps in new content (filters, the overview's refresh): draw its
  // charts and mark the page ready again.
  document.addEventListener("htmx:beforeSwap", function () { document.body.removeAttribute("data-ready"); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(); ready(); });
})();
