// The layout plan's map: institutions, home-care centres, the older people further than 1 km
// (by demand cell) and the suggested sites over the province's outline (ECharts served by the
// app; no inline script).
(function () {
  "use strict";
  var source = document.getElementById("layout-data");
  var node = document.getElementById("layout-map");
  if (!source || !node || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  if (!data) { return; }
  var points = data.facilities.concat(data.sites);
  var lons = points.map(function (p) { return p.lon; });
  var lats = points.map(function (p) { return p.lat; });
  var west = Math.min.apply(null, lons), east = Math.max.apply(null, lons);
  var south = Math.min.apply(null, lats), north = Math.max.apply(null, lats);
  var span = Math.max(east - west, north - south, 0.05);
  var hasMap = echarts.getMap && echarts.getMap("浙江");
  var biggest = Math.max.apply(null, data.cells.map(function (c) { return c.older; }).concat([1]));
  function series(name, rows, symbol, size, color) {
    return {
      name: name, type: "scatter", coordinateSystem: hasMap ? "geo" : "cartesian2d",
      symbol: symbol, symbolSize: size, itemStyle: { color: color },
      data: rows.map(function (r) { return [r.lon, r.lat, r.older || r.beds || r.newly_covered || 0]; })
    };
  }
  var option = {
    animation: false,
    tooltip: { trigger: "item", formatter: function (p) { return p.seriesName + (p.value[2] ? "：" + p.value[2] : ""); } },
    legend: { top: 0 },
    series: [
      series(node.dataset.uncovered, data.cells, "circle", function (v) { return 2 + 8 * Math.sqrt(v[2] / biggest); }, "rgba(200,80,60,0.35)"),
      series(node.dataset.institution, data.facilities.filter(function (f) { return f.kind === "institution"; }), "rect", 7, "#2f6fb0"),
      series(node.dataset.centre, data.facilities.filter(function (f) { return f.kind === "home_care_centre"; }), "triangle", 7, "#3a9a5b"),
      series(node.dataset.site, data.sites, "pin", 22, "#e0a020")
    ]
  };
  if (hasMap) {
    option.geo = { map: "浙江", roam: true, center: [(west + east) / 2, (south + north) / 2], zoom: Math.min(40, 4 / span), itemStyle: { areaColor: "#f4f4f4", borderColor: "#999" } };
  } else {
    option.xAxis = { type: "value", min: west - 0.02, max: east + 0.02, scale: true };
    option.yAxis = { type: "value", min: south - 0.02, max: north + 0.02, scale: true };
  }
  echarts.init(node).setOption(option);
})();
