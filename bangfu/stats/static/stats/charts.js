// Draws every chart of a statistics page from the JSON the server put in <script type="application/json">
// blocks (id "chart-<name>"), with Apache ECharts from node_modules. SVG renderer: sharp when printed.
(function () {
  "use strict";
  var locale = (document.documentElement.lang || "zh-hans").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
  var palette = ["#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#839192", "#ba4a00"];

  function option(spec) {
    var base = {
      color: palette,
      animation: false,
      tooltip: { trigger: spec.type === "pie" ? "item" : "axis", confine: true },
      grid: { left: 8, right: 16, top: spec.legend ? 36 : 12, bottom: 8, containLabel: true },
    };
    if (spec.legend) base.legend = { top: 0, type: "scroll" };
    if (spec.type === "pie") {
      base.series = [{
        type: "pie", radius: ["38%", "68%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}" },
        data: spec.labels.map(function (label, i) { return { name: label, value: spec.series[0].values[i] }; }),
      }];
      return base;
    }
    var horizontal = spec.type === "hbar";
    var category = { type: "category", data: spec.labels, axisLabel: { interval: 0, hideOverlap: true } };
    var value = { type: "value", minInterval: 1 };
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? Object.assign(category, { inverse: true }) : value;
    if (!horizontal && spec.labels.length > 8) base.xAxis.axisLabel = { rotate: 45 };
    base.series = spec.series.map(function (s) {
      return {
        name: s.name, type: spec.type === "line" ? "line" : "bar", data: s.values,
        smooth: false, showSymbol: spec.type === "line" && spec.labels.length <= 24,
        label: spec.type !== "line" && spec.series.length === 1 ? { show: true, position: horizontal ? "right" : "top" } : undefined,
      };
    });
    return base;
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = document.getElementById("chart-" + el.dataset.chart);
    if (!data || typeof echarts === "undefined") return;
    var chart = echarts.init(el, null, { renderer: "svg", locale: locale });
    chart.setOption(option(JSON.parse(data.textContent)));
    el.dataset.ready = "1";
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
