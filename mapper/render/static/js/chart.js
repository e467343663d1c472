/*
 * mapper browser code, module chart: the territory chart above the slider (area held by
 * each side, stacked, with a marker at the shown date) and its legend of figures.
 *
 * The payload sends the figures on the days they change (delta-encoded); every day is filled
 * here once (series, no DOM). A step only moves the marker and rewrites the legend's figures.
 */
(function (M) {
  "use strict";
  var U = M.util, el = U.el, thousands = U.thousands;

  // The payload's territory ({sides, day, km2, pop}) on each of n days: km2[d * ns + s] (km²)
  // and pop[d * ns + s] (people) of side s, the sides (label, colour, shown: ever above 0),
  // the largest total area (top) and whether any side holds people (anyPop).
  function series(T, n, factions) {
    var nf = factions.length;
    var ns = T.sides.length, km2 = new Float64Array(n * ns), pop = new Float64Array(n * ns);
    var k, s3, d3;
    var curKm = new Array(ns), curPop = new Array(ns);
    for (s3 = 0; s3 < ns; s3++) { curKm[s3] = 0; curPop[s3] = 0; }
    for (k = 0; k < T.day.length; k++) {
      var to = k + 1 < T.day.length ? T.day[k + 1] : n;
      for (s3 = 0; s3 < ns; s3++) {
        curKm[s3] += T.km2[s3][k];
        if (T.pop) curPop[s3] += T.pop[s3][k];
      }
      for (d3 = T.day[k]; d3 < to; d3++) {
        for (s3 = 0; s3 < ns; s3++) {
          km2[d3 * ns + s3] = curKm[s3] / 10;
          pop[d3 * ns + s3] = curPop[s3];
        }
      }
    }
    var sides = T.sides.map(function (id, j) {
      var f = j < nf ? factions[j] : null;
      return {id: id, label: f ? f.label : id === "contested" ? "Contested" : "No data",
        colour: f ? f.colour : id === "contested" ? "#6d6d6d" : "#cfcfcf", shown: false,
        // Ground no fact covers is counted (legend, tooltip) but not stacked: on a map of a
        // few towns it would be most of the country and flatten every side's band.
        band: id !== "unknown"};
    });
    var top = 0, anyPop = false;
    for (d3 = 0; d3 < n; d3++) {
      var sum = 0;
      for (s3 = 0; s3 < ns; s3++) {
        var v = km2[d3 * ns + s3];
        if (sides[s3].band) sum += v;
        if (v > 0) sides[s3].shown = true;
        if (pop[d3 * ns + s3] > 0) anyPop = true;
      }
      top = Math.max(top, sum);
    }
    return {ns: ns, km2: km2, pop: pop, sides: sides, top: top, anyPop: anyPop};
  }
  // 0.4 -> "0.4 km²", 12345 -> "12,345 km²".
  function formatArea(v) { return (v > 0 && v < 10 ? v.toFixed(1) : thousands(v)) + " km²"; }
  // The tooltip's lines on day d: "Side: 12,345 km², 6,789 people" per side shown.
  function figures(data, d) {
    var parts = [], ns = data.ns;
    data.sides.forEach(function (side, j) {
      if (!side.shown) return;
      var text = side.label + ": " + formatArea(data.km2[d * ns + j]);
      if (data.anyPop && data.pop[d * ns + j] > 0) {
        text += ", " + thousands(data.pop[d * ns + j]) + " people";
      }
      parts.push(text);
    });
    return parts;
  }

  // The chart in the slider bar, or null (no territory, or none held); clicking it calls
  // app.go(day).
  function create(app) {
    var T = app.P.territory, bar = app.bar, n = app.n, start = app.start;
    var box = bar.querySelector(".ts-chart");
    if (!T || !T.sides.length || !box) return null;
    var data = series(T, n, app.factions);
    var ns = data.ns, km2 = data.km2, sides = data.sides, top = data.top;
    if (!(top > 0)) return null;
    box.hidden = false;
    var legend = bar.querySelector(".ts-chart-legend");
    legend.hidden = false;
    var plot = box.querySelector(".ts-chart-plot"), canvas = box.querySelector(".ts-chart-canvas");
    var marker = box.querySelector(".ts-chart-marker"), tip = box.querySelector(".ts-chart-tip");
    plot.setAttribute("aria-label", "Area held by each side, km²");
    legend.appendChild(el("span", "ts-chart-title", "Area held:"));
    var values = [];
    sides.forEach(function (side, j) {
      if (!side.shown) return;
      var item = el("span", "ts-chart-item");
      item.setAttribute("data-side", side.id);
      var key = el("span", "ts-chart-key");
      key.style.background = side.colour;
      item.appendChild(key);
      var value = el("span", "ts-chart-value");
      item.appendChild(value);
      // The figure first: on a narrow bar the name is cut short, never the number.
      item.appendChild(el("span", "ts-chart-name", side.label.replace(/\s*\(.*\)\s*$/, "")));
      item.title = side.label;
      legend.appendChild(item);
      values.push([j, value, ""]);
    });
    fixValueWidths(values, km2, n, ns);
    var plotWidth = 0, shownDay = 0;
    function draw() {
      var w = plot.clientWidth, h = plot.clientHeight, ratio = window.devicePixelRatio || 1;
      plotWidth = w;
      marker.style.transform = "translateX(" + (n > 1 ? shownDay / (n - 1) * w : 0) + "px)";
      if (!w || !h) return;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, w, h);
      var xs = new Float64Array(n), base = new Float64Array(n);
      for (var d = 0; d < n; d++) xs[d] = n > 1 ? d / (n - 1) * w : 0;
      // One band per side, bottom up: along its top edge, then back along its bottom edge.
      for (var j = 0; j < ns; j++) {
        if (!sides[j].shown || !sides[j].band) continue;
        ctx.beginPath();
        for (d = 0; d < n; d++) {
          var y = h - (base[d] + km2[d * ns + j]) / top * h;
          if (d) ctx.lineTo(xs[d], y); else ctx.moveTo(n > 1 ? xs[d] : 0, y);
          if (n === 1) ctx.lineTo(w, y);
        }
        for (d = n - 1; d >= 0; d--) {
          var y0 = h - base[d] / top * h;
          if (n === 1) ctx.lineTo(w, y0);
          ctx.lineTo(n > 1 ? xs[d] : 0, y0);
          base[d] += km2[d * ns + j];
        }
        ctx.closePath();
        ctx.fillStyle = sides[j].colour;
        ctx.fill();
      }
    }
    function dayAt(clientX) {
      var rc = plot.getBoundingClientRect();
      var f = rc.width ? (clientX - rc.left) / rc.width : 0;
      return Math.max(0, Math.min(n - 1, Math.round(f * (n - 1))));
    }
    plot.addEventListener("mousemove", function (event) {
      var d = dayAt(event.clientX), rc = plot.getBoundingClientRect();
      tip.textContent = "";
      tip.appendChild(el("strong", null, "Area held on " + U.longDate(start + d * U.DAY_MS, 0)));
      figures(data, d).forEach(function (line) { tip.appendChild(el("div", null, line)); });
      tip.hidden = false;
      var half = tip.offsetWidth / 2, x = event.clientX - rc.left;
      tip.style.left = Math.max(half - 8, Math.min(rc.width - half + 8, x)) + "px";
    });
    plot.addEventListener("mouseleave", function () { tip.hidden = true; });
    plot.addEventListener("click", function (event) { app.go(dayAt(event.clientX)); });
    // Drawn after the map's first frame, and again whenever the plot's size changes (the
    // window, or the bar's own layout).
    var drawRequested = false;
    function drawSoon() {
      if (drawRequested) return;
      drawRequested = true;
      setTimeout(function () { drawRequested = false; draw(); }, 0);
    }
    if (window.ResizeObserver) new ResizeObserver(drawSoon).observe(plot);
    else { window.addEventListener("resize", drawSoon); drawSoon(); }
    return {
      // A transform (no layout) for the marker; figures rewritten only when they change.
      move: function (d) {
        shownDay = d;
        marker.style.transform = "translateX(" + (n > 1 ? d / (n - 1) * plotWidth : 0) + "px)";
        for (var j = 0; j < values.length; j++) {
          var text = formatArea(km2[d * ns + values[j][0]]);
          if (values[j][2] !== text) { U.setText(values[j][1], text); values[j][2] = text; }
        }
      },
      figures: function (d) { return figures(data, d); },
      redraw: draw
    };
  }

  // Each figure of the legend as wide as its longest value over the days (the digits are
  // all as wide: tabular figures), in em, so that it follows the legend's font size.
  // Measured once, in one layout; not where the legend is not shown then.
  function fixValueWidths(values, km2, n, ns) {
    var longest = values.map(function (v) {
      // the largest value, or the largest under 10 (written with a decimal): no text of the
      // side is longer than one of theirs
      var top = 0, small = 0;
      for (var d = 0; d < n; d++) {
        var x = km2[d * ns + v[0]];
        if (x > top) top = x;
        if (x > small && x < 10) small = x;
      }
      var a = formatArea(top), b = formatArea(small);
      return b.length > a.length ? b : a;
    });
    values.forEach(function (v, i) { v[1].textContent = longest[i]; });
    var widths = values.map(function (v) { return v[1].getBoundingClientRect().width; });
    values.forEach(function (v, i) {
      var size = parseFloat(getComputedStyle(v[1]).fontSize);
      if (widths[i] > 0 && size > 0) {
        v[1].style.width = (widths[i] / size + 0.05).toFixed(3) + "em";
        v[1].classList.add("ts-fixed");
      }
      v[1].textContent = "";
    });
  }

  M.chart = {series: series, formatArea: formatArea, figures: figures, create: create};
})(window.__mapper || (window.__mapper = {}));
