// The monitoring charts: data from the page's JSON block, drawn with ECharts (served by the
// app, no CDN; no inline script under the Content-Security-Policy).
(function () {
  "use strict";
  var source = document.getElementById("monitoring-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  function bar(id, rows, horizontal) {
    var node = document.getElementById(id);
    if (!node || !rows.length) { return; }
    var names = rows.map(function (r) { return r[0]; });
    var values = rows.map(function (r) { return r[1]; });
    var category = { type: "category", data: names, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    var value = { type: "value" };
    echarts.init(node).setOption({
      animation: false,
      grid: { left: horizontal ? 160 : 50, right: 20, top: 20, bottom: horizontal ? 30 : 90 },
      tooltip: { trigger: "axis" },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [{ type: "bar", data: values }]
    });
  }
  bar("chart-signals", data.signals, true);
  bar("chart-findings", data.findings, true);
  bar("chart-contributions", data.contributions, false);
  bar("chart-children", data.children, false);
  var trend = document.getElementById("chart-trend");
  if (trend && data.trend.length) {
    echarts.init(trend).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.trend.map(function (r) { return r.as_of; }) },
      yAxis: { type: "value" },
      series: [
        { name: trend.dataset.signals, type: "line", data: data.trend.map(function (r) { return r.signals; }) },
        { name: trend.dataset.findings, type: "line", data: data.trend.map(function (r) { return r.findings; }) }
      ]
    });
  }
})();
