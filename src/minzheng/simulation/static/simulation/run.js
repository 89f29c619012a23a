// A run's charts: scenarios side by side (ECharts served by the app; no inline script).
(function () {
  "use strict";
  var source = document.getElementById("simulation-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var names = ["baseline"].concat(data.scenarios);
  function label(node, name) { return name === "baseline" ? node.dataset.baseline || name : name; }
  function byCity(id, key) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var baseline = document.getElementById("chart-cost").dataset.baseline;
    echarts.init(node).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: data.cities, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value" },
      series: names.map(function (n) {
        return { name: n === "baseline" ? baseline : n, type: "bar", data: data.by_city[n][key] };
      })
    });
  }
  byCity("chart-cost", "cost");
  byCity("chart-households", "households");
  var bands = document.getElementById("chart-bands");
  if (bands && data.scenarios.length) {
    var labels = bands.dataset.labels.split("|");
    var keys = ["lose_more_than_5pct", "lose_less_than_5pct", "no_change", "gain_less_than_5pct", "gain_more_than_5pct"];
    var categories = [];
    data.scenarios.forEach(function (s) {
      for (var d = 1; d <= 10; d++) { categories.push(s + " · " + d); }
    });
    echarts.init(bands).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 80 },
      xAxis: { type: "category", data: categories, axisLabel: { rotate: 60 } },
      yAxis: { type: "value", max: 100 },
      series: keys.map(function (k, i) {
        var values = [];
        data.scenarios.forEach(function (s) {
          (data.bands[s] || []).forEach(function (b) { values.push(Math.round(b[k] * 1000) / 10); });
        });
        return { name: labels[i], type: "bar", stack: "bands", data: values };
      })
    });
  }
  var map = document.getElementById("chart-map");
  if (map && data.scenarios.length && echarts.getMap && echarts.getMap("浙江")) {
    var lead = data.scenarios[0];
    var values = data.cities.map(function (city, i) {
      return { name: city, value: Math.round((data.by_city[lead].cost[i] - data.by_city.baseline.cost[i]) * 100) / 100 };
    });
    var numbers = values.map(function (v) { return v.value; });
    echarts.init(map).setOption({
      animation: false,
      tooltip: { trigger: "item" },
      visualMap: { min: Math.min.apply(null, numbers.concat([0])), max: Math.max.apply(null, numbers.concat([0])), calculable: true, left: 10, bottom: 10 },
      series: [{ name: lead, type: "map", map: "浙江", data: values }]
    });
  }
  var lorenz = document.getElementById("chart-lorenz");
  if (lorenz && data.scenarios.length) {
    var series = [{ name: "45°", type: "line", data: [[0, 0], [1, 1]], lineStyle: { type: "dashed" }, showSymbol: false }];
    var first = data.scenarios[0];
    series.push({ name: lorenz.dataset.before, type: "line", data: data.lorenz[first].before, showSymbol: false });
    data.scenarios.forEach(function (s) {
      series.push({ name: s + " · " + lorenz.dataset.after, type: "line", data: data.lorenz[s].after, showSymbol: false });
    });
    echarts.init(lorenz).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "value", min: 0, max: 1 },
      yAxis: { type: "value", min: 0, max: 1 },
      series: series
    });
  }
})();
