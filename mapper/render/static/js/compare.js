/*
 * mapper browser code, module compare: "Compare with an earlier date". Pick a day; the map
 * hatches the ground that changed hands between that day and the shown one, in the colour of
 * the side that took it, and a table gives the km² each side gained and lost (the same atoms
 * and areas as `mapper diff`), with the places that changed hands.
 *
 * table() is pure; setup(app) adds the control and app.paintComparison (the fronts' canvas
 * calls it before drawing the fronts, the PNG download too).
 */
(function (M) {
  "use strict";
  var U = M.util, el = U.el, thousands = U.thousands;

  function signed(v) {
    var r = Math.round(v);
    return (r > 0 ? "+" : r < 0 ? "−" : "") + thousands(Math.abs(r));
  }
  // Rows of the table from M.ground.compare's result: [holder, gained, lost, net], largest
  // net first, holders with no change left out.
  function table(cmp) {
    var keys = {}, rows = [];
    Object.keys(cmp.gained).concat(Object.keys(cmp.lost)).forEach(function (k) { keys[k] = 1; });
    Object.keys(keys).forEach(function (k) {
      var g = cmp.gained[k] || 0, l = cmp.lost[k] || 0;
      rows.push([Number(k), g, l, g - l]);
    });
    rows.sort(function (a, b) { return b[3] - a[3] || a[0] - b[0]; });
    return rows;
  }

  // The hatch over ground that changed hands: lines of the taker's colour on a clear tile.
  var hatches = {};
  function hatch(colour) {
    if (hatches[colour]) return hatches[colour];
    var c = document.createElement("canvas");
    c.width = c.height = 10;
    var g = c.getContext("2d");
    g.strokeStyle = colour;
    g.lineWidth = 2.2;
    g.beginPath();
    g.moveTo(0, 10); g.lineTo(10, 0);
    g.moveTo(-5, 5); g.lineTo(5, -5);
    g.moveTo(5, 15); g.lineTo(15, 5);
    g.stroke();
    return (hatches[colour] = g.createPattern(c, "repeat"));
  }

  function setup(app) {
    var map = app.map, atl = app.atl, tl = app.tl, style = app.style, G = M.ground;
    var km2 = app.P.atoms.km2, places = app.places;
    var from = -1, before = null, placesBefore = null, cmp = null;

    var box = el("div", "ts-compare leaflet-bar");
    var details = el("details");
    var summary = el("summary", null, "Compare dates");
    details.appendChild(summary);
    var label = el("label", "ts-compare-pick");
    label.appendChild(el("span", null, "Changes since "));
    var input = el("input");
    input.type = "date";
    input.min = app.dates[0];
    input.max = app.dates[app.n - 1];
    input.setAttribute("aria-describedby", app.name + "-compare-note");
    label.appendChild(input);
    details.appendChild(label);
    var clear = el("button", "ts-compare-clear", "Clear");
    clear.type = "button";
    details.appendChild(clear);
    var note = el("p", "ts-compare-note",
      "Pick a date: ground that changed hands between it and the shown date is hatched in " +
      "the colour of the side that took it.");
    note.id = app.name + "-compare-note";
    details.appendChild(note);
    var out = el("div", "ts-compare-out");
    out.setAttribute("aria-live", "polite");
    details.appendChild(out);
    box.appendChild(details);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    var Control = L.Control.extend({options: {position: "topleft"},
      onAdd: function () { return box; }});
    new Control().addTo(map);

    function render() {
      while (out.firstChild) out.removeChild(out.firstChild);
      if (from < 0) return;
      cmp = G.compare(before, atl.cur, km2);
      var head = el("p", "ts-compare-head", U.longDate(app.start + from * U.DAY_MS, 0) + " → " +
        U.longDate(app.start + tl.day * U.DAY_MS, 0));
      out.appendChild(head);
      var rows = table(cmp);
      if (!rows.length) {
        out.appendChild(el("p", null, "No ground changed hands."));
      } else {
        var t = el("table", "ts-compare-table");
        var hr = el("tr");
        ["km²", "gained", "lost", "net"].forEach(function (h) {
          var th = el("th", null, h);
          th.scope = "col";
          hr.appendChild(th);
        });
        var thead = el("thead");
        thead.appendChild(hr);
        t.appendChild(thead);
        var tb = el("tbody");
        rows.forEach(function (r) {
          var tr = el("tr");
          tr.setAttribute("data-side", style.controllerId(r[0], "no-data"));
          // The label without its parenthesis, as the chart's strip shows it; whole on hover.
          var full = r[0] < 0 ? "No data" : style.controllerLabel(r[0]);
          var name = el("th", null, full.replace(/\s*\(.*\)\s*$/, ""));
          name.title = full;
          name.scope = "row";
          var sw = el("span", "ts-swatch ts-swatch-dot");
          sw.style.background = style.colourOf(r[0]);
          name.insertBefore(sw, name.firstChild);
          tr.appendChild(name);
          tr.appendChild(el("td", null, thousands(r[1])));
          tr.appendChild(el("td", null, thousands(r[2])));
          tr.appendChild(el("td", null, signed(r[3])));
          tb.appendChild(tr);
        });
        t.appendChild(tb);
        out.appendChild(t);
      }
      var changed = [];
      for (var i = 0; i < places.id.length; i++) {
        if (placesBefore[i] !== tl.cur[i]) changed.push(i);
      }
      if (changed.length) {
        out.appendChild(el("p", "ts-compare-places-head", changed.length + " place" +
          (changed.length > 1 ? "s" : "") + " changed hands:"));
        var ul = el("ul", "ts-compare-places");
        changed.slice(0, 12).forEach(function (i2) {
          ul.appendChild(el("li", null, places.name[i2] + ": " +
            style.controllerLabel(placesBefore[i2]) + " → " + style.controllerLabel(tl.cur[i2])));
        });
        if (changed.length > 12) ul.appendChild(el("li", null, "and " + (changed.length - 12) + " more"));
        out.appendChild(ul);
      }
    }
    function set(day) {
      from = day;
      before = day >= 0 ? atl.at(day) : null;
      placesBefore = day >= 0 ? tl.at(day) : null;
      if (day >= 0) input.value = app.dates[day];
      else input.value = "";
      box.classList.toggle("ts-compare-on", day >= 0);
      render();
      if (app.frontLayer) app.frontLayer.refresh();
    }
    input.addEventListener("change", function () {
      var d = app.dayOf(input.value);
      set(input.value && d >= 0 ? d : -1);
    });
    clear.addEventListener("click", function () { set(-1); });

    app.paintComparison = function (ctx, view) {
      if (from < 0) return;
      var moved = G.compare(before, atl.cur, km2).moved;
      var now = new Int16Array(atl.cur.length).fill(-32768);  // -32768: not drawn
      for (var j = 0; j < moved.length; j++) now[moved[j]] = atl.cur[moved[j]];
      G.paintAreas(ctx, app.ground, now, function (c) {
        return c === -32768 ? null : {fill: hatch(style.colourOf(c)), alpha: 0.85};
      }, view);
    };
    app.compare = {
      set: function (text) { var d = app.dayOf(String(text)); set(d); return d >= 0; },
      clear: function () { set(-1); },
      moved: function () { return from < 0 ? [] : G.compare(before, atl.cur, km2).moved; },
      rows: function () { return from < 0 ? [] : table(G.compare(before, atl.cur, km2)); },
      update: render
    };
  }

  M.compare = {table: table, signed: signed, setup: setup};
})(window.__mapper || (window.__mapper = {}));
