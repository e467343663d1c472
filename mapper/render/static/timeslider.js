/*
 * mapper time slider: draws one dataset (places, areas of control, fronts, routes, incidents)
 * on a Leaflet map and moves it through time.
 *
 * The payload (see mapper/render/payload.py) holds the state on the first day and the list of
 * changes; moving from one day to another replays only the changes in between (forward: their
 * "after" value, backward: their "before" value) and restyles only what touches the places that
 * changed. Text from the data is always put in the page with textContent, never as HTML.
 *
 * Incidents (events that change no control) show on their day at full strength and fade over
 * the following days (options.incident_days in all), then disappear.
 */
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
  var SAFE_URL = /^https?:\/\/[^\s<>"']+$/i;
  var UNKNOWN_COLOUR = "#9e9e9e";
  var FRONT_COLOUR = "#1a1a1a";
  // Radius of a place marker by kind, in pixels; kinds not listed use DEFAULT_RADIUS.
  var RADIUS = {capital: 9, city: 7, town: 5, airbase: 5, base: 4.5, crossing: 4.5,
    district: 4, village: 3.5, site: 3.5};
  var DEFAULT_RADIUS = 4;
  // Which labels win when two overlap: lower first.
  var LABEL_RANK = {capital: 0, city: 1, town: 2, country: 3, region: 4};
  var LABEL_RANK_OTHER = 2;  // a place labelled through the data's ``label`` column
  var LABEL_RANK_MINOR = 5;  // other places, labelled only when zoomed in
  var LABEL_RANK_BASE = 6;  // country names of the base map
  var MINOR_LABEL_ZOOM = 2;  // ... that many levels past the dataset's initial zoom

  function parseDay(text) {
    var m = ISO_DAY.exec(text);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  }
  function isoDay(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function longDate(ms, precision) {
    var d = new Date(ms);
    if (precision === 2) return String(d.getUTCFullYear());
    if (precision === 1) return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  // Running sums, in place: [3, 1, 0, 2] -> [3, 4, 4, 6].
  function undelta(a) {
    for (var i = 1; i < a.length; i++) a[i] += a[i - 1];
    return a;
  }
  function decodeLine(ints, scale) {
    var out = new Array(ints.length / 2), lat = 0, lon = 0;
    for (var i = 0, k = 0; i < ints.length; i += 2, k++) {
      lat += ints[i]; lon += ints[i + 1];
      out[k] = [lat / scale, lon / scale];
    }
    return out;
  }
  // 1234567 -> "1,234,567" (the same in every browser locale).
  function thousands(n) { return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function link(url, text) {
    if (url && SAFE_URL.test(url)) {
      var a = el("a", null, text);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    return el("span", null, text);
  }
  function groupBy(keys, count) {
    var out = new Array(count);
    for (var i = 0; i < count; i++) out[i] = [];
    for (var j = 0; j < keys.length; j++) if (keys[j] >= 0) out[keys[j]].push(j);
    return out;
  }

  // A canvas renderer that repaints only the small rectangles around the paths that changed,
  // one after the other, instead of their union (which, for changes spread over the map, is
  // the whole map). The paths of a rectangle are found through a grid of GRID-pixel buckets
  // built at each full repaint, not by walking every path. Past MAX_PATCHES rectangles it
  // falls back to one full repaint. Paths with neither stroke nor fill are skipped.
  var MAX_PATCHES = 120, GRID = 32;
  function area(b) { return (b.max.x - b.min.x) * (b.max.y - b.min.y); }
  // Join two rectangles wherever their bounding box is no larger than the two apart, so
  // that paths in the overlap are not drawn twice.
  function mergePatches(list) {
    var changed = true;
    while (changed) {
      changed = false;
      for (var i = 0; i < list.length; i++) {
        for (var j = i + 1; j < list.length; j++) {
          var a = list[i], b = list[j];
          if (!a.intersects(b)) continue;
          var u = L.bounds(a.min, a.max).extend(b.min).extend(b.max);
          if (area(u) <= area(a) + area(b)) {
            list[i] = u;
            list.splice(j, 1);
            j--;
            changed = true;
          }
        }
      }
    }
    return list;
  }
  var PatchCanvas = L.Canvas.extend({
    _extendRedrawBounds: function (layer) {
      if (this._full) return;
      if (!layer._pxBounds || (this._patches && this._patches.length >= MAX_PATCHES)) {
        this._full = true;
        this._patches = this._patchKeys = null;
        return;
      }
      var list = this._patches || (this._patches = []);
      var pad = (layer.options.weight || 0) + 1, b = layer._pxBounds;
      var key = [b.min.x, b.min.y, b.max.x, b.max.y, pad].join(",");
      var keys = this._patchKeys || (this._patchKeys = {});
      if (keys[key]) return;  // a restyled marker asks three times for the same box
      keys[key] = true;
      list.push(L.bounds(b.min.subtract([pad, pad]), b.max.add([pad, pad])));
    },
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      this._patches = null;
      this._patchKeys = null;
      this._restyled = null;
      this._full = true;
      L.Canvas.prototype._updatePaths.call(this);
    },
    _updatePath: function (layer) {
      L.Canvas.prototype._updatePath.call(this, layer);
      this._gridAdd(layer, false);  // re-projected (Leaflet does it on every marker restyle)
    },
    _addPath: function (layer) {
      this._gridAdd(layer, true);
      L.Canvas.prototype._addPath.call(this, layer);
    },
    // Paths that never overlap (option ``disjoint``: the cells): a restyled one is repainted
    // alone, clipped to its own outline, instead of everything in its box.
    // Option ``additive`` (the fronts): a line that appears is simply drawn over the canvas;
    // only one that disappears needs its box repainted.
    _updateStyle: function (layer) {
      var o = this.options;
      var alone = o.disjoint || (o.additive && layer.options.stroke);
      if (!alone || this._full) {
        L.Canvas.prototype._updateStyle.call(this, layer);
        return;
      }
      this._updateDashArray(layer);
      if (!this._map) return;
      (this._restyled || (this._restyled = [])).push(layer);
      this._redrawRequest = this._redrawRequest || L.Util.requestAnimFrame(this._redraw, this);
    },
    _repaintAlone: function (list) {
      var ctx = this._ctx, seen = this._query = (this._query || 0) + 1;
      for (var i = 0; i < list.length; i++) {
        var layer = list[i], parts = layer._parts;
        if (layer._tsSeen === seen || !layer._order || !parts || !parts.length) continue;
        layer._tsSeen = seen;
        if (!this.options.disjoint) {  // additive: draw on top
          this._drawing = true;
          layer._updatePath();
          this._drawing = false;
          continue;
        }
        ctx.save();
        ctx.beginPath();
        for (var j = 0; j < parts.length; j++) {
          for (var k = 0; k < parts[j].length; k++) {
            ctx[k ? "lineTo" : "moveTo"](parts[j][k].x, parts[j][k].y);
          }
          ctx.closePath();
        }
        ctx.clip(layer.options.fillRule || "evenodd");
        var b = layer._pxBounds;
        ctx.clearRect(b.min.x - 2, b.min.y - 2, b.max.x - b.min.x + 4, b.max.y - b.min.y + 4);
        this._drawing = true;
        layer._updatePath();
        this._drawing = false;
        ctx.restore();
      }
    },
    _bringToFront: function (layer) {
      L.Canvas.prototype._bringToFront.call(this, layer);
      this._full = true;  // the drawing order changed: repaint all (and rebuild the grid)
      this._patches = this._patchKeys = null;
    },
    _bringToBack: function (layer) {
      L.Canvas.prototype._bringToBack.call(this, layer);
      this._full = true;
      this._patches = this._patchKeys = null;
    },
    _updatePoly: function (layer, closed) {
      if (!layer.options.stroke && !layer.options.fill) return;
      L.Canvas.prototype._updatePoly.call(this, layer, closed);
    },
    // Put a path in the buckets its box (a few pixels wider, for stroke changes) meets; a
    // path appended to the drawing list (``last``) is drawn after every other one.
    _gridAdd: function (layer, last) {
      var g = this._grid;
      if (!g) return;
      var b = layer._pxBounds;
      if (!b) { this._grid = null; return; }
      if (last || layer._tsOrder === undefined) layer._tsOrder = ++this._gridOrder;
      var x1 = Math.floor((b.min.x - 4) / GRID), x2 = Math.floor((b.max.x + 4) / GRID);
      var y1 = Math.floor((b.min.y - 4) / GRID), y2 = Math.floor((b.max.y + 4) / GRID);
      var box = x1 + ":" + x2 + ":" + y1 + ":" + y2 + ":" + this._gridGen;
      if (!last && layer._tsBox === box) return;
      layer._tsBox = box;
      for (var x = x1; x <= x2; x++) {
        for (var y = y1; y <= y2; y++) {
          var key = x + ":" + y;
          (g[key] || (g[key] = [])).push(layer);
        }
      }
    },
    _buildGrid: function () {
      this._grid = {};
      this._gridOrder = 0;
      this._gridGen = (this._gridGen || 0) + 1;
      for (var o = this._drawFirst; o && this._grid; o = o.next) this._gridAdd(o.layer, true);
    },
    _drawPatch: function (bounds) {
      var g = this._grid, seen = this._query = (this._query || 0) + 1, list = [];
      var x1 = Math.floor(bounds.min.x / GRID), x2 = Math.floor(bounds.max.x / GRID);
      var y1 = Math.floor(bounds.min.y / GRID), y2 = Math.floor(bounds.max.y / GRID);
      for (var x = x1; x <= x2; x++) {
        for (var y = y1; y <= y2; y++) {
          var cell = g[x + ":" + y];
          if (!cell) continue;
          for (var i = 0; i < cell.length; i++) {
            var layer = cell[i];
            if (layer._tsSeen === seen) continue;
            layer._tsSeen = seen;
            if (layer._order && layer._pxBounds && layer._pxBounds.intersects(bounds)) {
              list.push(layer);
            }
          }
        }
      }
      list.sort(function (a, b) { return a._tsOrder - b._tsOrder; });
      var ctx = this._ctx, size = bounds.getSize();
      ctx.save();
      ctx.beginPath();
      ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
      ctx.clip();
      this._drawing = true;
      for (var k = 0; k < list.length; k++) list[k]._updatePath();
      this._drawing = false;
      ctx.restore();
    },
    _redraw: function () {
      var patches = this._patches, full = this._full, restyled = this._restyled;
      this._patches = this._patchKeys = this._restyled = null;
      this._full = false;
      this._redrawRequest = null;
      if (full) {
        this._redrawBounds = null;
        L.Canvas.prototype._redraw.call(this);
        this._buildGrid();
        return;
      }
      if (!patches) {
        if (restyled) this._repaintAlone(restyled);
        return;
      }
      patches = mergePatches(patches);
      for (var i = 0; i < patches.length; i++) {
        var p = patches[i];
        if (!this._grid) {
          this._redrawBounds = p;
          L.Canvas.prototype._redraw.call(this);
          continue;
        }
        p.min._floor();
        p.max._ceil();
        this._redrawBounds = p;
        this._clear();
        this._drawPatch(p);
        this._redrawBounds = null;
      }
      // After the patches, which may have wiped part of a repainted path.
      if (restyled) this._repaintAlone(restyled);
    }
  });

  window.mapperTimeSlider = mapperTimeSlider;
  // Pure helpers, for tests.
  mapperTimeSlider.helpers = {parseDay: parseDay, isoDay: isoDay, longDate: longDate,
    decodeLine: decodeLine, mergePatches: mergePatches, thousands: thousands};

  function mapperTimeSlider(map, name, options) {
    var P = JSON.parse(document.getElementById(name + "-data").textContent);
    var bar = document.getElementById(name + "-bar");
    var head = document.getElementById(name + "-head");
    var sourcesPanel = document.getElementById(name + "-sources");
    var incidentDays = options.incidentDays || 3;  // folium camel-cases option names

    var factions = P.factions, nf = factions.length, CONTESTED = nf, INCIDENT = -2;
    var start = parseDay(P.start), n = P.n;
    var dates = new Array(n);
    for (var di = 0; di < n; di++) dates[di] = isoDay(start + di * DAY_MS);

    var places = P.places, np = places.id.length;
    var ctl = P.control, nch = ctl.day.length;
    var cur = new Int16Array(np);
    for (var ci = 0; ci < np; ci++) cur[ci] = ctl.initial[ci];
    // The payload sends days as differences and no ``before``: rebuild both once.
    undelta(ctl.day);
    ctl.before = new Int16Array(nch);
    (function () {
      var held = Int16Array.from(ctl.initial);
      for (var k = 0; k < nch; k++) {
        ctl.before[k] = held[ctl.place[k]];
        held[ctl.place[k]] = ctl.after[k];
      }
    })();
    var curDay = 0;
    // firstChange[d]: index of the first change dated on day d or later (d = 0..n).
    var firstChange = new Int32Array(n + 1);
    (function () {
      var k = 0;
      for (var d = 0; d <= n; d++) {
        while (k < nch && ctl.day[k] < d) k++;
        firstChange[d] = k;
      }
    })();
    var changeDays = [];
    for (var cd = 0; cd < nch; cd++) {
      if (!changeDays.length || changeDays[changeDays.length - 1] !== ctl.day[cd]) {
        changeDays.push(ctl.day[cd]);
      }
    }

    var sourceIndex = {};
    for (var sx = 0; sx < P.sources.id.length; sx++) sourceIndex[P.sources.id[sx]] = sx;
    var ev = P.events, nev = ev.day.length;
    undelta(ev.day);
    ev.prec = (function (sparse) {  // precision codes: 0 (a day) unless listed
      var full = new Int8Array(nev);
      for (var k = 0; k < sparse.at.length; k++) full[sparse.at[k]] = sparse.value[k];
      return full;
    })(ev.prec);
    var eventsOf = groupBy(ev.place, np);
    var incidentsOn = new Array(n);
    for (var ii = 0; ii < n; ii++) incidentsOn[ii] = [];
    for (var ie = 0; ie < nev; ie++) {
      if (ev.ctl[ie] === INCIDENT && ev.day[ie] >= 0 && ev.day[ie] < n) {
        incidentsOn[ev.day[ie]].push(ie);
      }
    }

    // ---- styles ---------------------------------------------------------------------------
    function controllerLabel(c) {
      if (c === CONTESTED) return "Contested";
      if (c >= 0 && c < nf) return factions[c].label;
      return "Unknown";
    }
    function colourOf(c) { return c >= 0 && c < nf ? factions[c].colour : UNKNOWN_COLOUR; }

    // ---- map panes and renderers ----------------------------------------------------------
    function pane(paneName, z, interactive) {
      var p = map.createPane(paneName);
      p.style.zIndex = String(z);
      if (!interactive) p.style.pointerEvents = "none";
      return paneName;
    }
    pane("ts-base", 150, false);
    pane("ts-base-labels", 440, false);
    pane("ts-areas", 350, false);
    pane("ts-lines", 420, true);
    pane("ts-places", 450, true);
    var useCanvas = !!options.canvas;
    pane("ts-fronts", 430, false);
    function renderer(paneName, mode) {
      return useCanvas ? new PatchCanvas({pane: paneName, padding: 0.1,
        disjoint: mode === "disjoint", additive: mode === "additive"})
        : L.svg({pane: paneName, padding: 0.1});
    }
    var areaRenderer = renderer("ts-areas", "disjoint");
    var frontRenderer = renderer("ts-fronts", "additive");
    // Canvas: routes and places share one canvas, routes drawn first; SVG: one layer each.
    var placeRenderer = renderer("ts-places");
    var lineRenderer = useCanvas ? placeRenderer : renderer("ts-lines");
    var baseRenderer = renderer("ts-base");

    // SVG fill patterns for factions drawn with a pattern, and stripes for contested areas.
    var patternFill = {};
    function addPatterns() {
      if (useCanvas) return;
      var svg = areaRenderer._container;
      if (!svg) return;
      var NS = "http://www.w3.org/2000/svg";
      var defs = document.createElementNS(NS, "defs");
      function pattern(id, colour, kind) {
        var p = document.createElementNS(NS, "pattern");
        p.setAttribute("id", id);
        p.setAttribute("patternUnits", "userSpaceOnUse");
        p.setAttribute("width", "8");
        p.setAttribute("height", "8");
        if (kind !== "dots") p.setAttribute("patternTransform", "rotate(45)");
        var bg = document.createElementNS(NS, "rect");
        bg.setAttribute("width", "8"); bg.setAttribute("height", "8");
        bg.setAttribute("fill", colour);
        p.appendChild(bg);
        // Light marks on the faction's colour (the whole pane is see-through).
        var ink = kind === "stripes" ? "#222222" : "#ffffff";
        function line(x1, y1, x2, y2) {
          var l = document.createElementNS(NS, "line");
          l.setAttribute("x1", x1); l.setAttribute("y1", y1);
          l.setAttribute("x2", x2); l.setAttribute("y2", y2);
          l.setAttribute("stroke", ink);
          l.setAttribute("stroke-width", "2.5");
          p.appendChild(l);
        }
        if (kind === "dots") {
          var c = document.createElementNS(NS, "circle");
          c.setAttribute("cx", "4"); c.setAttribute("cy", "4"); c.setAttribute("r", "1.8");
          c.setAttribute("fill", ink);
          p.appendChild(c);
        } else {
          line(0, 0, 0, 8);
          if (kind === "cross") line(0, 4, 8, 4);
        }
        defs.appendChild(p);
        return "url(#" + id + ")";
      }
      for (var f = 0; f < nf; f++) {
        var kind = factions[f].pattern;
        if (kind === "hatch" || kind === "cross" || kind === "dots") {
          patternFill[f] = pattern(name + "-pattern-" + f, factions[f].colour, kind);
        }
      }
      patternFill[CONTESTED] = pattern(name + "-pattern-contested", "#bdbdbd", "stripes");
      svg.insertBefore(defs, svg.firstChild);
    }

    function markerStyle(c) {
      if (c === CONTESTED) {
        return {fillColor: "#ffffff", fillOpacity: 1, color: "#111111", weight: 2.5,
          dashArray: "3 2"};
      }
      if (c < 0) {
        return {fillColor: UNKNOWN_COLOUR, fillOpacity: 0.85, color: "#5f5f5f", weight: 1,
          dashArray: null};
      }
      return {fillColor: factions[c].colour, fillOpacity: 0.95, color: "#1f1f1f", weight: 1.2,
        dashArray: null};
    }
    function areaStyle(c) {
      // Opaque fills, and an outline of the same colour, in a see-through pane (CSS): cells of
      // one side merge without seams.
      if (c >= 0 && patternFill[c]) {
        return {fillColor: patternFill[c], fillOpacity: 1, fill: true, stroke: true,
          color: c === CONTESTED ? "#bdbdbd" : factions[c].colour, opacity: 1};
      }
      if (c === CONTESTED) {
        return {fillColor: "#5f5f5f", fillOpacity: 1, fill: true, stroke: true, color: "#5f5f5f",
          opacity: 1};
      }
      if (c < 0) return {fillColor: UNKNOWN_COLOUR, fillOpacity: 0.3, fill: true, stroke: false};
      return {fillColor: factions[c].colour, fillOpacity: 1, fill: true, stroke: true,
        color: factions[c].colour, opacity: 1};
    }
    function lineColour(c) {
      if (c === CONTESTED) return "#555555";
      return colourOf(c);
    }
    function dashOf(c) { return c >= 0 && c < nf && factions[c].dash ? factions[c].dash : null; }

    // ---- layers ---------------------------------------------------------------------------
    // Offline base map (Natural Earth 1:10m): land on a sea-coloured map background, lakes
    // in the sea colour, first-level regions as thin dashed lines, country borders in grey,
    // and country names (decluttered with the places' labels, which win).
    // Sea and border colours as in mapper/snapshot.py (SEA_COLOUR, BORDER_COLOUR).
    var BASE = {sea: "#cfdfe8", land: "#f4f2ec", coast: "#9fb7c8", border: "#8c8c8c",
      region: "#b9b5ad"};
    var baseLayer = L.layerGroup();
    var baseLabels = [];
    var baseGeom = {land: [], lakes: [], regions: [], borders: []};
    (function baseMap() {
      var bm = P.basemap || {};
      function polys(list) {
        return (list || []).map(function (poly) {
          return poly.map(function (ring) { return decodeLine(ring, 1000); });
        });
      }
      function lines(list) {
        return (list || []).map(function (l) { return decodeLine(l, 1000); });
      }
      var common = {renderer: baseRenderer, pane: "ts-base", interactive: false};
      var land = polys(bm.land), lakes = polys(bm.lakes);
      var regions = lines(bm.regions), borders = lines(bm.borders);
      baseGeom = {land: land, lakes: lakes, regions: regions, borders: borders};
      if (land.length) {
        L.polygon(land, L.extend({color: BASE.coast, weight: 0.8, fillColor: BASE.land,
          fillOpacity: 1, className: "ts-base-land"}, common)).addTo(baseLayer);
      }
      if (lakes.length) {
        L.polygon(lakes, L.extend({color: BASE.coast, weight: 0.6, fillColor: BASE.sea,
          fillOpacity: 1, className: "ts-base-lakes"}, common)).addTo(baseLayer);
      }
      if (regions.length) {
        L.polyline(regions, L.extend({color: BASE.region, weight: 0.7, dashArray: "3 3",
          className: "ts-base-regions"}, common)).addTo(baseLayer);
      }
      if (borders.length) {
        L.polyline(borders, L.extend({color: BASE.border, weight: 1.3,
          className: "ts-base-borders"}, common)).addTo(baseLayer);
      }
      var lab = bm.labels || {name: []};
      for (var j = 0; j < lab.name.length; j++) {
        var own = P.countries.indexOf(lab.iso2[j]) >= 0;
        var icon = L.divIcon({html: el("span", "ts-country-text", lab.name[j]),
          className: "ts-country" + (own ? " ts-country-own" : ""), iconSize: null});
        var mk = L.marker([lab.lat[j], lab.lon[j]], {icon: icon, interactive: false,
          keyboard: false, pane: "ts-base-labels"}).addTo(baseLayer);
        baseLabels.push(mk);
      }
    })();
    var areaLayer = L.layerGroup();
    var frontLayer = L.layerGroup();
    var routeLayer = L.layerGroup();
    var placeLayer = L.layerGroup();
    var labelLayer = L.layerGroup();
    var incidentLayer = L.layerGroup();

    // Areas: one polygon per cell.
    var cells = P.cells, cellLayers = new Array(cells.place.length);
    var cellsOf = groupBy(cells.place, np);
    for (var k = 0; k < cells.place.length; k++) {
      var polys = cells.geom[k].map(function (poly) {
        return poly.map(function (ring) { return decodeLine(ring, 1000); });
      });
      cellLayers[k] = L.polygon(polys, {renderer: areaRenderer, pane: "ts-areas", stroke: false,
        weight: 1, interactive: false, className: "ts-cell"}).addTo(areaLayer);
    }

    // Fronts: shared edges of two cells, shown where their controllers differ.
    var fronts = P.fronts, frontLayers = new Array(fronts.a.length);
    var frontWeight = np > 2000 ? 2 : 3.5;
    var frontsOf = new Array(np);
    for (var fo = 0; fo < np; fo++) frontsOf[fo] = [];
    for (var e = 0; e < fronts.a.length; e++) {
      frontsOf[fronts.a[e]].push(e);
      frontsOf[fronts.b[e]].push(e);
      // Every edge stays on the map; a hidden one has no stroke (and costs no drawing).
      frontLayers[e] = L.polyline(fronts.geom[e].map(function (l) { return decodeLine(l, 1000); }), {
        renderer: frontRenderer, pane: "ts-fronts", color: FRONT_COLOUR, weight: frontWeight,
        opacity: 0.9,
        lineCap: "round", interactive: false, stroke: false, fill: false, className: "ts-front"
      }).addTo(frontLayer);
    }

    // Routes: each segment as two halves (coloured by its two ends) and a cut mark between.
    var segs = P.segments, segLayers = new Array(segs.a.length);
    var segsOf = new Array(np);
    for (var so = 0; so < np; so++) segsOf[so] = [];
    function routeTooltip(s) {
      return el("span", null, P.routes.name[segs.route[s]]);
    }
    for (var s = 0; s < segs.a.length; s++) {
      if (segs.a[s] >= 0) segsOf[segs.a[s]].push(s);
      if (segs.b[s] >= 0 && segs.b[s] !== segs.a[s]) segsOf[segs.b[s]].push(s);
      var h1 = decodeLine(segs.h1[s], 1000), h2 = decodeLine(segs.h2[s], 1000);
      var opts = {renderer: lineRenderer, pane: "ts-lines", weight: 4, opacity: 0.95,
        lineCap: "butt", className: "ts-route"};
      var l1 = L.polyline(h1, opts).addTo(routeLayer);
      var l2 = L.polyline(h2, opts).addTo(routeLayer);
      l1.bindTooltip(routeTooltip(s), {sticky: true});
      l2.bindTooltip(routeTooltip(s), {sticky: true});
      var cut = L.circleMarker(h1.length ? h1[h1.length - 1] : h2[0], {
        renderer: lineRenderer, pane: "ts-lines", radius: 3.5, color: "#111111", weight: 2,
        fillColor: "#ffffff", fillOpacity: 1, interactive: false, stroke: false, fill: false,
        className: "ts-cut"
      }).addTo(routeLayer);
      segLayers[s] = [l1, l2, cut];
    }

    // Places: a circle marker each (regions and countries: a label only).
    // Long histories scroll inside the popup rather than run off a small map.
    var popupOptions = {maxWidth: 340, minWidth: 220, autoPanPadding: [20, 20],
      maxHeight: Math.max(220, map.getSize().y - 90)};
    var markers = new Array(np);
    // Many places: smaller dots, so neighbours and the areas under them stay visible.
    var radiusScale = np > 2000 ? 0.55 : np > 500 ? 0.75 : 1;
    var labels = [];
    function kindOf(i) { return P.kinds[places.kind[i]]; }
    for (var i = 0; i < np; i++) {
      var kind = kindOf(i);
      var latlng = [places.lat[i], places.lon[i]];
      if (places.marker[i]) {
        var r = (RADIUS[kind] || DEFAULT_RADIUS) * radiusScale;
        var m = L.circleMarker(latlng, L.extend({renderer: placeRenderer, pane: "ts-places",
          radius: r, bubblingMouseEvents: false, className: "ts-place"}, markerStyle(cur[i])));
        m.bindPopup(popupFor.bind(null, i), popupOptions);
        m.addTo(placeLayer);
        m._tsPlace = i;
        markers[i] = m;
        // Main places always carry a label; on an SVG map the others get one too, shown only
        // when zoomed in (CSS) and only where it has room.
        var main = !!places.label[i];
        if (main || !useCanvas) {
          m.bindTooltip(el("span", null, places.name[i]), {permanent: true, direction: "right",
            offset: [r + 1, 0], interactive: false,
            className: "ts-label ts-label-" + kind + (main ? "" : " ts-label-minor")});
          labels.push({i: i, layer: m, rank: !main ? LABEL_RANK_MINOR
            : LABEL_RANK[kind] !== undefined ? LABEL_RANK[kind] : LABEL_RANK_OTHER});
        }
      } else {
        var textEl = el("span", "ts-region-text", places.name[i]);
        var lm = L.marker(latlng, {icon: L.divIcon({html: textEl, className: "ts-region ts-region-" + kind,
          iconSize: null}), interactive: false, keyboard: false, pane: "ts-places"});
        lm.addTo(labelLayer);
        labels.push({i: i, layer: lm,
          rank: LABEL_RANK[kind] !== undefined ? LABEL_RANK[kind] : LABEL_RANK_OTHER, region: true});
      }
    }
    for (var bl = 0; bl < baseLabels.length; bl++) {
      labels.push({i: np + bl, layer: baseLabels[bl], rank: LABEL_RANK_BASE, region: true});
    }
    labels.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });

    baseLayer.addTo(map);
    areaLayer.addTo(map);
    addPatterns();
    frontLayer.addTo(map);
    routeLayer.addTo(map);
    incidentLayer.addTo(map);
    placeLayer.addTo(map);
    labelLayer.addTo(map);
    // SVG only: name what each path shows, for readers of the DOM (tests, reports).
    function tag(layer, attrs) {
      if (!layer._path) return;
      for (var key in attrs) layer._path.setAttribute(key, attrs[key]);
    }
    if (!useCanvas) {
      for (var mi = 0; mi < np; mi++) {
        if (markers[mi]) tag(markers[mi], {"data-place": places.id[mi]});
      }
      for (var fi = 0; fi < frontLayers.length; fi++) {
        tag(frontLayers[fi], {"data-a": places.id[fronts.a[fi]], "data-b": places.id[fronts.b[fi]]});
      }
      for (var si2 = 0; si2 < segLayers.length; si2++) {
        var ends = {"data-route": P.routes.id[segs.route[si2]],
          "data-a": segs.a[si2] >= 0 ? places.id[segs.a[si2]] : "",
          "data-b": segs.b[si2] >= 0 ? places.id[segs.b[si2]] : ""};
        for (var part = 0; part < 3; part++) tag(segLayers[si2][part], ends);
      }
    }

    // ---- restyling ------------------------------------------------------------------------
    function styleCell(k) { cellLayers[k].setStyle(areaStyle(cur[cells.place[k]])); }
    function styleFront(e) {
      var a = cur[fronts.a[e]], b = cur[fronts.b[e]];
      var show = a >= 0 && b >= 0 && a !== b;
      if (frontLayers[e].options.stroke !== show) frontLayers[e].setStyle({stroke: show});
    }
    function styleSegment(s) {
      var a = segs.a[s] >= 0 ? cur[segs.a[s]] : -1;
      var b = segs.b[s] >= 0 ? cur[segs.b[s]] : -1;
      var lay = segLayers[s];
      var cutHere = a >= 0 && b >= 0 && a !== b;
      var ca = cutHere || a === b ? a : (a >= 0 ? a : b);
      var cb = cutHere || a === b ? b : ca;
      lay[0].setStyle({color: lineColour(ca), dashArray: dashOf(ca)});
      lay[1].setStyle({color: lineColour(cb), dashArray: dashOf(cb)});
      lay[2].setStyle({stroke: cutHere, fill: cutHere});
    }
    function stylePlace(p) {
      if (markers[p]) {
        markers[p].setStyle(markerStyle(cur[p]));
        if (!useCanvas && markers[p]._path) {
          markers[p]._path.setAttribute("data-controller",
            cur[p] === CONTESTED ? "contested" : cur[p] >= 0 ? factions[cur[p]].id : "");
        }
      }
      var cs = cellsOf[p];
      for (var j = 0; j < cs.length; j++) styleCell(cs[j]);
    }
    function restyleAll() {
      for (var p = 0; p < np; p++) stylePlace(p);
      for (var e2 = 0; e2 < frontLayers.length; e2++) styleFront(e2);
      for (var s2 = 0; s2 < segLayers.length; s2++) styleSegment(s2);
    }

    var stamp = new Int32Array(np), stampNow = 0;
    var frontStamp = new Int32Array(frontLayers.length);
    var segStamp = new Int32Array(segLayers.length);
    // Move the state from curDay to day d, replaying only the changes in between.
    function moveTo(d) {
      if (d === curDay) return;
      stampNow++;
      var touched = [];
      var k2;
      if (d > curDay) {
        for (k2 = firstChange[curDay + 1]; k2 < firstChange[d + 1]; k2++) {
          cur[ctl.place[k2]] = ctl.after[k2];
          if (stamp[ctl.place[k2]] !== stampNow) {
            stamp[ctl.place[k2]] = stampNow; touched.push(ctl.place[k2]);
          }
        }
      } else {
        for (k2 = firstChange[curDay + 1] - 1; k2 >= firstChange[d + 1]; k2--) {
          cur[ctl.place[k2]] = ctl.before[k2];
          if (stamp[ctl.place[k2]] !== stampNow) {
            stamp[ctl.place[k2]] = stampNow; touched.push(ctl.place[k2]);
          }
        }
      }
      curDay = d;
      for (var t = 0; t < touched.length; t++) {
        var p = touched[t];
        stylePlace(p);
        var fs = frontsOf[p];
        for (var a = 0; a < fs.length; a++) {
          if (frontStamp[fs[a]] !== stampNow) { frontStamp[fs[a]] = stampNow; styleFront(fs[a]); }
        }
        var ss = segsOf[p];
        for (var b = 0; b < ss.length; b++) {
          if (segStamp[ss[b]] !== stampNow) { segStamp[ss[b]] = stampNow; styleSegment(ss[b]); }
        }
      }
    }

    // Incidents: a small diamond on its day, fading over the next days.
    var incidentMarkers = {};
    function incidentMarker(e3) {
      // Up and right of the place, so the place's own marker stays clickable.
      var icon = L.divIcon({className: "ts-incident", iconSize: [12, 12], iconAnchor: [-3, 15],
        html: el("span", "ts-incident-mark")});
      var m2 = L.marker([places.lat[ev.place[e3]], places.lon[ev.place[e3]]], {icon: icon,
        keyboard: false, title: P.event_kinds[ev.kind[e3]] + ": " + places.name[ev.place[e3]]});
      m2.bindPopup(incidentPopup.bind(null, e3), popupOptions);
      return m2;
    }
    function updateIncidents() {
      var keep = {};
      for (var age = 0; age < incidentDays; age++) {
        var d2 = curDay - age;
        if (d2 < 0) break;
        var list = incidentsOn[d2];
        for (var q = 0; q < list.length; q++) {
          var e4 = list[q];
          keep[e4] = true;
          var mk = incidentMarkers[e4];
          if (!mk) { mk = incidentMarkers[e4] = incidentMarker(e4); mk.addTo(incidentLayer); }
          mk.setOpacity(1 - age / incidentDays);
        }
      }
      for (var key in incidentMarkers) {
        if (!keep[key]) { incidentLayer.removeLayer(incidentMarkers[key]); delete incidentMarkers[key]; }
      }
    }

    // ---- popups ---------------------------------------------------------------------------
    function eventDate(e5) { return longDate(start + ev.day[e5] * DAY_MS, ev.prec[e5]); }
    // Extra columns of events: per event, a list of [column, text].
    var eventExtras = {};
    Object.keys(ev.extra || {}).forEach(function (col) {
      var x = ev.extra[col];
      for (var j = 0; j < x.event.length; j++) {
        (eventExtras[x.event[j]] || (eventExtras[x.event[j]] = [])).push([col, ev.texts[x.text[j]]]);
      }
    });
    function extraList(pairs) {
      var dl = el("dl", "ts-extra");
      pairs.forEach(function (pair) {
        if (!pair[1]) return;
        dl.appendChild(el("dt", null, pair[0]));
        dl.appendChild(el("dd", null, pair[1]));
      });
      return dl.childNodes.length ? dl : null;
    }
    function sourceDate(si) {
      var text = P.sources.published[si], prec = P.sources.published_prec;
      var ms = parseDay(text);
      if (!text || isNaN(ms)) return text || "";
      return longDate(ms, prec ? prec[si] : 0);
    }
    function sourceMeta(si) {
      var when = sourceDate(si), who = P.sources.publisher[si];
      return who && when ? who + ", " + when : who || when;
    }
    function sourceExtras(si) {
      var ex = P.sources.extra || {};
      return extraList(Object.keys(ex).map(function (col) { return [col, ex[col][si]]; }));
    }
    function sourceLine(si) {
      var li = el("li", "ts-source");
      li.appendChild(link(P.sources.url[si], P.sources.title[si]));
      var meta = sourceMeta(si);
      if (meta) li.appendChild(el("span", "ts-source-meta", " (" + meta + ")"));
      var extra = sourceExtras(si);
      if (extra) li.appendChild(extra);
      return li;
    }
    function eventItem(e6, withDate) {
      var li = el("li", "ts-event");
      var kindText = P.event_kinds[ev.kind[e6]];
      if (withDate) li.appendChild(el("span", "ts-event-date", eventDate(e6) + ": "));
      li.appendChild(el("span", "ts-event-kind", kindText));
      if (ev.ctl[e6] >= 0) li.appendChild(el("span", "ts-event-kind", " → " + controllerLabel(ev.ctl[e6])));
      li.appendChild(el("div", "ts-event-desc", ev.texts[ev.desc[e6]]));
      var extra = eventExtras[e6] ? extraList(eventExtras[e6]) : null;
      if (extra) li.appendChild(extra);
      if (ev.src[e6] >= 0) {
        var src = el("div", "ts-event-source", "Source: ");
        var si = ev.src[e6];
        src.appendChild(link(P.sources.url[si], P.sources.title[si]));
        var meta = sourceMeta(si);
        if (meta) src.appendChild(document.createTextNode(" (" + meta + ")"));
        li.appendChild(src);
      }
      return li;
    }
    function historyItems(p) {
      var list = eventsOf[p].filter(function (x) { return ev.ctl[x] >= 0; });
      var items = [];
      if (!list.length) {
        items.push({text: "No recorded control", current: true});
        return items;
      }
      if (ev.day[list[0]] > curDay) {
        items.push({text: "Unknown until " + eventDate(list[0]), current: true});
      }
      for (var h = 0; h < list.length; h++) {
        var x = list[h], next = list[h + 1];
        var who = controllerLabel(ev.ctl[x]);
        var isCurrent = ev.day[x] <= curDay && (next === undefined || ev.day[next] > curDay);
        var text;
        if (isCurrent) text = who + " since " + eventDate(x);
        else if (ev.day[x] > curDay) text = who + " from " + eventDate(x);
        else text = who + " from " + eventDate(x) + " until " + eventDate(next);
        items.push({text: text, current: isCurrent});
      }
      return items;
    }
    function popupFor(p) {
      var box = el("div", "ts-popup");
      box.appendChild(el("h3", "ts-popup-title", places.name[p]));
      var c = cur[p];
      var sub = el("div", "ts-popup-sub", kindOf(p) + " · " + longDate(start + curDay * DAY_MS, 0) + ": ");
      var chip = el("span", "ts-chip", controllerLabel(c));
      chip.style.borderColor = c === CONTESTED ? "#111111" : colourOf(c);
      sub.appendChild(chip);
      box.appendChild(sub);

      box.appendChild(el("h4", null, "Control"));
      var hist = el("ul", "ts-history");
      historyItems(p).forEach(function (item) {
        var li = el("li", item.current ? "ts-current" : null, item.text);
        hist.appendChild(li);
      });
      box.appendChild(hist);

      var today = eventsOf[p].filter(function (x) { return ev.day[x] === curDay; });
      box.appendChild(el("h4", null, "On " + longDate(start + curDay * DAY_MS, 0)));
      if (today.length) {
        var ul = el("ul", "ts-events");
        today.forEach(function (x) { ul.appendChild(eventItem(x, false)); });
        box.appendChild(ul);
      } else {
        box.appendChild(el("p", "ts-none", "No event recorded this day."));
      }

      var extra = places.extra, cols = Object.keys(extra);
      var dl = el("dl", "ts-extra");
      if (places.population && places.population[p] > 0) {
        dl.appendChild(el("dt", null, "population"));
        dl.appendChild(el("dd", null, thousands(places.population[p]) +
          (places.population_source[p] ? " (" + places.population_source[p] + ")" : "")));
      }
      cols.forEach(function (col) {
        var v = extra[col][p];
        if (!v) return;
        dl.appendChild(el("dt", null, col));
        var dd = el("dd", null, col === "source_id" && sourceIndex[v] !== undefined ? null : v);
        // A column naming a source shows that source, linked.
        if (col === "source_id" && sourceIndex[v] !== undefined) {
          dd.appendChild(link(P.sources.url[sourceIndex[v]], P.sources.title[sourceIndex[v]]));
        }
        dl.appendChild(dd);
      });
      if (dl.childNodes.length) box.appendChild(dl);

      var seen = {}, srcList = el("ul", "ts-popup-sources");
      eventsOf[p].forEach(function (x) {
        var si = ev.src[x];
        if (si >= 0 && !seen[si]) { seen[si] = true; srcList.appendChild(sourceLine(si)); }
      });
      if (srcList.childNodes.length) {
        box.appendChild(el("h4", null, "Sources"));
        box.appendChild(srcList);
      }
      return box;
    }
    function incidentPopup(e7) {
      var box = el("div", "ts-popup ts-incident-popup");
      box.appendChild(el("h3", "ts-popup-title", places.name[ev.place[e7]]));
      var ul = el("ul", "ts-events");
      ul.appendChild(eventItem(e7, true));
      box.appendChild(ul);
      return box;
    }
    // ---- labels: hide the lesser of two overlapping labels ----------------------------------
    // Labels are placed in rank order; one that would overlap a placed label tries the other
    // side of its marker, then is hidden until the next zoom.
    function declutter() {
      var placed = [];
      function clashes(rc) {
        for (var k = 0; k < placed.length; k++) {
          var o = placed[k];
          if (rc.left + 1 < o.right && rc.right - 1 > o.left && rc.top + 4 < o.bottom &&
              rc.bottom - 4 > o.top) return true;
        }
        return false;
      }
      for (var j = 0; j < labels.length; j++) {
        var lab = labels[j];
        var tip = lab.region ? null : lab.layer.getTooltip();
        var node = tip ? tip.getElement() : lab.layer.getElement();
        if (!node) continue;
        node.style.visibility = "";
        if (tip && tip.options.direction !== "right") {
          tip.options.direction = "right";
          tip.options.offset = [lab.layer.getRadius() + 1, 0];
          tip.update();
        }
        var rc = node.getBoundingClientRect();
        if (!rc.width) continue;
        if (clashes(rc) && tip) {
          tip.options.direction = "left";
          tip.options.offset = [-lab.layer.getRadius() - 1, 0];
          tip.update();
          rc = node.getBoundingClientRect();
        }
        if (clashes(rc)) node.style.visibility = "hidden";
        else placed.push(rc);
      }
    }
    function zoomClass() {
      map.getContainer().classList.toggle("ts-zoomed-in",
        map.getZoom() >= P.view.zoom + MINOR_LABEL_ZOOM);
    }
    map.on("zoomend", function () { zoomClass(); declutter(); });
    zoomClass();

    // ---- slider, buttons, keyboard, hash ----------------------------------------------------
    function q(cls) { return bar.querySelector("." + cls); }
    var range = q("ts-range"), bigLabel = q("ts-date-big"), subLabel = q("ts-date-sub");
    var playBtn = q("ts-play"), speedSel = q("ts-speed"), loopBox = q("ts-loop");
    q("ts-start").textContent = longDate(start, 0);
    q("ts-end").textContent = longDate(start + (n - 1) * DAY_MS, 0);
    range.max = String(n - 1);
    // Days with changes, as ticks under the slider: one canvas, however many days.
    var tickBox = q("ts-ticks"), tickCanvas = el("canvas");
    tickBox.appendChild(tickCanvas);
    function drawTicks() {
      var w = tickBox.clientWidth, h = tickBox.clientHeight, ratio = window.devicePixelRatio || 1;
      if (!w || n < 2) return;
      tickCanvas.width = Math.round(w * ratio);
      tickCanvas.height = Math.round(h * ratio);
      var ctx = tickCanvas.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.fillStyle = "#c62828";
      // One tick per pixel column, darker where more changes fall in it (a density strip
      // when there are more change days than pixels).
      var cols = {}, most = 0;
      changeDays.forEach(function (d) {
        var x = Math.round(d / (n - 1) * (w - 2)) + 1;
        cols[x] = (cols[x] || 0) + (firstChange[d + 1] - firstChange[d]);
        most = Math.max(most, cols[x]);
      });
      var dense = changeDays.length > w / 3;
      Object.keys(cols).forEach(function (x) {
        ctx.globalAlpha = dense ? 0.15 + 0.85 * cols[x] / most : 1;
        ctx.fillRect(+x - (dense ? 0.5 : 1), 0, dense ? 1 : 2, h);
      });
    }
    drawTicks();
    window.addEventListener("resize", drawTicks);

    // ---- territory chart: area held by each side, stacked, with a marker at the shown date ----
    // The payload sends the figures on the days they change (delta-encoded); every day is
    // filled here once. A step only moves the marker and rewrites the legend's figures.
    var chart = (function territoryChart() {
      var T = P.territory, box = bar.querySelector(".ts-chart");
      if (!T || !T.sides.length || !box) return null;
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
        return {id: id, label: f ? f.label : id === "contested" ? "Contested" : "Unknown / no record",
          colour: f ? f.colour : id === "contested" ? "#6d6d6d" : "#cfcfcf", shown: false};
      });
      var top = 0, anyPop = false;
      for (d3 = 0; d3 < n; d3++) {
        var sum = 0;
        for (s3 = 0; s3 < ns; s3++) {
          var v = km2[d3 * ns + s3];
          sum += v;
          if (v > 0) sides[s3].shown = true;
          if (pop[d3 * ns + s3] > 0) anyPop = true;
        }
        top = Math.max(top, sum);
      }
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
      function area(v) { return (v > 0 && v < 10 ? v.toFixed(1) : thousands(v)) + " km²"; }
      function figures(d) {
        var parts = [];
        sides.forEach(function (side, j) {
          if (!side.shown) return;
          var text = side.label + ": " + area(km2[d * ns + j]);
          if (anyPop && pop[d * ns + j] > 0) text += ", " + thousands(pop[d * ns + j]) + " people";
          parts.push(text);
        });
        return parts;
      }
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
          if (!sides[j].shown) continue;
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
        tip.appendChild(el("strong", null, "Area held on " + longDate(start + d * DAY_MS, 0)));
        figures(d).forEach(function (line) { tip.appendChild(el("div", null, line)); });
        tip.hidden = false;
        var half = tip.offsetWidth / 2, x = event.clientX - rc.left;
        tip.style.left = Math.max(half - 8, Math.min(rc.width - half + 8, x)) + "px";
      });
      plot.addEventListener("mouseleave", function () { tip.hidden = true; });
      plot.addEventListener("click", function (event) { go(dayAt(event.clientX)); });
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
            var text = area(km2[d * ns + values[j][0]]);
            if (values[j][2] !== text) { values[j][1].textContent = text; values[j][2] = text; }
          }
        },
        figures: function (d) { return figures(d); },
        redraw: draw
      };
    })();

    var embed = false;
    function readHash() {
      var parts = location.hash.replace(/^#/, "").split("&"), day = null;
      parts.forEach(function (part) {
        var text;
        try { text = decodeURIComponent(part); } catch (err) { return; }  // a mangled link
        if (text === "embed" || text === "embed=1") embed = true;
        else if (ISO_DAY.test(text)) day = text;
      });
      if (/[?&]embed=(1|true|yes)\b/.test(location.search)) embed = true;
      return day;
    }
    // The hash follows the date, at most every HASH_MS (browsers throttle frequent history
    // updates; the last date is always written), and once more when playing stops.
    var HASH_MS = 250, lastHashWrite = -Infinity, hashTimer = null;
    function writeHash(now) {
      if (hashTimer !== null) { clearTimeout(hashTimer); hashTimer = null; }
      var wait = lastHashWrite + HASH_MS - performance.now();
      if (!now && (playing || wait > 0)) {
        if (!playing) hashTimer = setTimeout(function () { hashTimer = null; writeHash(true); }, wait);
        return;
      }
      lastHashWrite = performance.now();
      var hash = "#" + dates[curDay] + (embed && !/[?&]embed=/.test(location.search) ? "&embed" : "");
      if (location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (err) { /* some viewers forbid it */ }
      }
    }
    function dayOf(text) {
      var ms = parseDay(text);
      if (isNaN(ms) || isoDay(ms) !== text) return -1;  // 2024-11-31 is no day, not 1 Dec
      var d = Math.round((ms - start) / DAY_MS);
      return d >= 0 && d < n ? d : -1;
    }
    // The date box keeps the width of the longest date of the slider, so the controls and
    // the chart beside it neither move nor redraw as the date changes.
    function fixDateWidth() {
      // Measured on a canvas in the label's font: no layout of the page per candidate.
      var cs = getComputedStyle(bigLabel), ctx = document.createElement("canvas").getContext("2d");
      ctx.font = cs.fontStyle + " " + cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
      var spacing = parseFloat(cs.letterSpacing) || 0;
      var widest = 0, seen = {};
      for (var d = 0; d < n; d++) {
        var dt = new Date(start + d * DAY_MS), key = dt.getUTCMonth() + ":" + dt.getUTCFullYear();
        if (seen[key]) continue;
        seen[key] = true;
        var text = "28 " + MONTHS[dt.getUTCMonth()] + " " + dt.getUTCFullYear();
        widest = Math.max(widest, ctx.measureText(text).width + spacing * text.length);
        if (Object.keys(seen).length > 24) break;  // long sliders: every month name seen
      }
      if (widest) bar.style.setProperty("--ts-date-width", Math.ceil(widest) + 6 + "px");
    }
    fixDateWidth();
    function showLabels() {
      var ms = start + curDay * DAY_MS;
      bigLabel.textContent = longDate(ms, 0);
      bigLabel.setAttribute("data-date", dates[curDay]);
      var changes = firstChange[curDay + 1] - firstChange[curDay];
      subLabel.textContent = WEEKDAYS[new Date(ms).getUTCDay()] + " · day " + (curDay + 1) + " of " + n +
        (changes ? " · " + changes + " change" + (changes > 1 ? "s" : "") : "");
      range.value = String(curDay);
      range.setAttribute("aria-valuetext", longDate(ms, 0));
      if (chart) chart.move(curDay);
    }

    var pending = [];
    var frameRequested = false;
    function afterDraw(resolve) {
      pending.push(resolve);
      if (frameRequested) return;
      frameRequested = true;
      // Leaflet redraws on the next animation frame; resolve after the one that follows.
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          frameRequested = false;
          var list = pending; pending = [];
          list.forEach(function (f) { f(); });
        });
      });
    }
    function go(d, fromHash) {
      d = Math.max(0, Math.min(n - 1, d));
      moveTo(d);
      updateIncidents();
      showLabels();
      refreshOpenPopup();
      if (!fromHash) writeHash(false);
    }
    function refreshOpenPopup() {
      var popup = map._popup;
      if (!popup || !popup.isOpen() || !popup._source) return;
      var src = popup._source;
      if (src._tsPlace !== undefined) popup.setContent(popupFor(src._tsPlace));
    }

    function nextChange(dir) {
      var target = -1;
      if (dir > 0) {
        for (var j = 0; j < changeDays.length; j++) if (changeDays[j] > curDay) { target = changeDays[j]; break; }
        if (target < 0) target = n - 1;
      } else {
        for (var j2 = changeDays.length - 1; j2 >= 0; j2--) if (changeDays[j2] < curDay) { target = changeDays[j2]; break; }
        if (target < 0) target = 0;
      }
      go(target);
    }

    // Play: advance by whole days at the chosen speed, driven by animation frames.
    var playing = false, lastTick = 0, carry = 0;
    function frame(now) {
      if (!playing) return;
      var speed = +speedSel.value || 1;
      carry += (now - lastTick) * speed / 1000;
      lastTick = now;
      var steps = Math.floor(carry);
      if (steps > 0) {
        carry -= steps;
        var target = curDay + steps;
        if (target >= n) {
          if (loopBox.checked) target = target % n;
          else { go(n - 1); setPlaying(false); return; }
        }
        go(target);
      }
      requestAnimationFrame(frame);
    }
    function setPlaying(on) {
      if (on === playing) return;
      playing = on;
      playBtn.setAttribute("aria-pressed", on ? "true" : "false");
      playBtn.setAttribute("aria-label", on ? "Pause" : "Play");
      if (!on) writeHash(true);
      if (on) {
        if (curDay >= n - 1 && n > 1) go(0);
        lastTick = performance.now();
        carry = 0;
        requestAnimationFrame(frame);
      }
    }

    range.addEventListener("input", function () { go(+range.value); });
    playBtn.addEventListener("click", function () { setPlaying(!playing); });
    q("ts-prev-day").addEventListener("click", function () { go(curDay - 1); });
    q("ts-next-day").addEventListener("click", function () { go(curDay + 1); });
    q("ts-prev-change").addEventListener("click", function () { nextChange(-1); });
    q("ts-next-change").addEventListener("click", function () { nextChange(1); });
    document.addEventListener("keydown", function (event) {
      var t = event.target;
      var tag = t && t.tagName;
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && t.type !== "range" &&
        t.type !== "checkbox")) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var key = event.key;
      if (key === "ArrowRight" || key === "ArrowLeft") {
        var dir = key === "ArrowRight" ? 1 : -1;
        if (event.shiftKey) nextChange(dir); else go(curDay + dir);
      } else if (key === "PageDown") nextChange(1);
      else if (key === "PageUp") nextChange(-1);
      else if (key === "Home") go(0);
      else if (key === "End") go(n - 1);
      else if (key === " " || key === "Spacebar") {
        if (tag === "BUTTON" && t !== playBtn && bar.contains(t)) return;
        setPlaying(!playing);
      } else return;
      event.preventDefault();
    });
    window.addEventListener("hashchange", function () {
      var day = readHash();
      applyEmbed();
      if (day !== null && dayOf(day) >= 0 && dayOf(day) !== curDay) go(dayOf(day), true);
    });

    // ---- chrome: embed mode, sources panel, legend, layer control, scale ---------------------
    function applyEmbed() { document.documentElement.classList.toggle("ts-embed", embed); }
    (function sourcesPanelSetup() {
      var list = sourcesPanel.querySelector(".ts-sources-list");
      for (var j = 0; j < P.sources.id.length; j++) list.appendChild(sourceLine(j));
      var toggle = head.querySelector(".ts-sources-toggle");
      toggle.textContent = "Sources (" + P.sources.id.length + ")";
      function setOpen(open) {
        sourcesPanel.hidden = !open;
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
      toggle.addEventListener("click", function () { setOpen(sourcesPanel.hidden); });
      sourcesPanel.querySelector(".ts-sources-close").addEventListener("click", function () {
        setOpen(false);
      });
    })();

    var Legend = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var box = el("div", "ts-legend leaflet-bar");
        var details = el("details");
        details.open = window.innerWidth > 700 && window.innerHeight > 560;  // small embeds: closed
        details.appendChild(el("summary", null, "Legend"));
        function row(swatchClass, colour, text, area) {
          var r2 = el("div", "ts-legend-row");
          var sw = el("span", "ts-swatch " + swatchClass);
          if (colour) sw.style.background = colour;
          r2.appendChild(sw);
          var sample = el("span", "ts-swatch ts-swatch-area");
          if (area) sample.style.background = area; else sample.style.visibility = "hidden";
          r2.appendChild(sample);
          r2.appendChild(el("span", null, text));
          details.appendChild(r2);
        }
        // The area sample imitates the SVG patterns with CSS gradients.
        function areaSample(colour, kind) {
          var mark = "rgba(255,255,255,0.85)";
          if (kind === "hatch") {
            return "repeating-linear-gradient(45deg, " + mark + " 0 2px, transparent 2px 6px), " + colour;
          }
          if (kind === "cross") {
            return "repeating-linear-gradient(45deg, " + mark + " 0 2px, transparent 2px 6px), " +
              "repeating-linear-gradient(-45deg, " + mark + " 0 2px, transparent 2px 6px), " + colour;
          }
          if (kind === "dots") {
            return "radial-gradient(circle, " + mark + " 1.2px, transparent 1.4px) 0 0 / 6px 6px, " +
              colour;
          }
          return colour;
        }
        factions.forEach(function (f) {
          row("ts-swatch-dot", f.colour, f.label, areaSample(f.colour, f.pattern));
        });
        row("ts-swatch-dot ts-swatch-contested", "#ffffff", "Contested",
          useCanvas ? "#5f5f5f" : "repeating-linear-gradient(45deg, #222 0 2px, transparent 2px 6px), #bdbdbd");
        row("ts-swatch-dot", UNKNOWN_COLOUR, "Unknown / no record", "rgba(158,158,158,0.3)");
        if (frontLayers.length) row("ts-swatch-front", FRONT_COLOUR, "Front line");
        if (segLayers.length) row("ts-swatch-cut", null, "Route cut between sides");
        if (incidentsOn.some(function (x) { return x.length; })) {
          row("ts-swatch-incident", null, "Incident (fades over " + incidentDays + " days)");
        }
        box.appendChild(details);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    new Legend().addTo(map);

    var overlays = {
      "Places": placeLayer, "Labels": labelLayer, "Areas of control": areaLayer,
      "Front lines": frontLayer, "Routes": routeLayer, "Incidents": incidentLayer,
      "Base map (offline)": baseLayer
    };
    var layerControl = L.control.layers(null, overlays, {collapsed: true, position: "topright"})
      .addTo(map);
    map.on("overlayadd", function (e8) {
      // On a shared canvas, lines shown again are appended: keep the places on top.
      if (useCanvas && e8.layer === routeLayer && map.hasLayer(placeLayer)) {
        placeLayer.eachLayer(function (m3) { m3.bringToFront(); });
      }
      if (e8.layer === areaLayer && !useCanvas) addPatternsOnce();
      if (e8.layer === labelLayer || e8.layer === placeLayer) declutter();
    });
    function addPatternsOnce() {
      if (areaRenderer._container && !areaRenderer._container.querySelector("defs")) addPatterns();
    }

    // ---- "Download PNG": the map on the shown date, drawn from the data onto a canvas ------
    // Not a capture of the screen: every layer is drawn again with the same styles, at the
    // positions Leaflet gives (map.latLngToContainerPoint), over the whole window, then a
    // title with the date, the legend and a source line are added, and the image labelled as
    // a screenshot of the interactive map.
    var PATTERN_INK = {hatch: "#ffffff", cross: "#ffffff", dots: "#ffffff", stripes: "#222222"};
    // The SVG patterns again (see addPatterns): an 8-pixel tile, lines turned 45 degrees.
    function canvasPattern(ctx, colour, kind) {
      var c = document.createElement("canvas");
      c.width = c.height = 8;
      var g = c.getContext("2d");
      g.fillStyle = colour;
      g.fillRect(0, 0, 8, 8);
      g.strokeStyle = g.fillStyle = PATTERN_INK[kind] || "#ffffff";
      g.lineWidth = 2.5;
      g.beginPath();
      if (kind === "dots") {
        g.arc(4, 4, 1.8, 0, 2 * Math.PI);
        g.fill();
      } else {
        g.moveTo(0, 0); g.lineTo(0, 8);
        if (kind === "cross") { g.moveTo(0, 4); g.lineTo(8, 4); }
        g.stroke();
      }
      var pattern = ctx.createPattern(c, "repeat");
      if (kind !== "dots" && pattern.setTransform && window.DOMMatrix) {
        pattern.setTransform(new DOMMatrix().rotate(45));
      }
      return pattern;
    }
    // The rings of a polygon layer, whether Leaflet holds it as one polygon or several.
    function ringsOf(layer) {
      var ll = layer.getLatLngs();
      return ll.length && Array.isArray(ll[0][0]) ? [].concat.apply([], ll) : ll;
    }
    function snapshotCanvas() {
      var box = map.getContainer().getBoundingClientRect();
      var W = window.innerWidth, H = window.innerHeight;
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(W * ratio);
      canvas.height = Math.round(H * ratio);
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineJoin = ctx.lineCap = "round";
      function pt(ll) {
        var p = map.latLngToContainerPoint(ll);
        return [p.x + box.left, p.y + box.top];
      }
      function path(rings, closed) {
        for (var j = 0; j < rings.length; j++) {
          var ring = rings[j];
          for (var k = 0; k < ring.length; k++) {
            var q = pt(ring[k]);
            if (k) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]);
          }
          if (closed) ctx.closePath();
        }
      }
      function polygons(list) {  // list of polygons, each a list of rings
        for (var j = 0; j < list.length; j++) path(list[j], true);
      }
      function stroke(colour, weight, dash, alpha) {
        ctx.globalAlpha = alpha === undefined ? 1 : alpha;
        ctx.strokeStyle = colour;
        ctx.lineWidth = weight;
        ctx.setLineDash(dash ? String(dash).split(/[ ,]+/).map(Number) : []);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
      }
      ctx.fillStyle = BASE.sea;
      ctx.fillRect(0, 0, W, H);
      if (map.hasLayer(baseLayer)) {
        ctx.beginPath(); polygons(baseGeom.land);
        ctx.fillStyle = BASE.land; ctx.fill("evenodd"); stroke(BASE.coast, 0.8);
        ctx.beginPath(); polygons(baseGeom.lakes);
        ctx.fillStyle = BASE.sea; ctx.fill("evenodd"); stroke(BASE.coast, 0.6);
        ctx.beginPath(); path(baseGeom.regions, false); stroke(BASE.region, 0.7, "3 3");
        ctx.beginPath(); path(baseGeom.borders, false); stroke(BASE.border, 1.3);
      }
      if (map.hasLayer(areaLayer)) {
        // Areas on their own layer, then laid over the map see-through, like their pane.
        var areas = document.createElement("canvas");
        areas.width = canvas.width; areas.height = canvas.height;
        var main = ctx;
        ctx = areas.getContext("2d");
        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
        var fills = {};
        for (var k = 0; k < cellLayers.length; k++) {
          var c = cur[cells.place[k]], st = areaStyle(c);
          var kind = c === CONTESTED ? "stripes" : c >= 0 ? factions[c].pattern : "";
          var key = c + ":" + kind;
          if (!(key in fills)) {  // SVG maps fill with patterns; canvas maps with colours
            fills[key] = !useCanvas && c >= 0 && patternFill[c]
              ? canvasPattern(ctx, c === CONTESTED ? "#bdbdbd" : factions[c].colour, kind)
              : st.fillColor;
          }
          ctx.beginPath();
          path(ringsOf(cellLayers[k]), true);
          ctx.globalAlpha = st.fillOpacity;
          ctx.fillStyle = fills[key];
          ctx.fill("evenodd");
          ctx.globalAlpha = 1;
          if (st.stroke) stroke(st.color, 1);
        }
        ctx = main;
        ctx.save();
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.globalAlpha = 0.38;  // .leaflet-ts-areas-pane in the CSS
        ctx.drawImage(areas, 0, 0);
        ctx.restore();
      }
      if (map.hasLayer(frontLayer)) {
        ctx.beginPath();
        for (var e9 = 0; e9 < frontLayers.length; e9++) {
          if (frontLayers[e9].options.stroke) path(frontLayers[e9].getLatLngs(), false);
        }
        stroke(FRONT_COLOUR, frontWeight, null, 0.9);
      }
      if (map.hasLayer(routeLayer)) {
        for (var s9 = 0; s9 < segLayers.length; s9++) {
          for (var h9 = 0; h9 < 2; h9++) {
            var o9 = segLayers[s9][h9].options;
            ctx.beginPath(); path([segLayers[s9][h9].getLatLngs()], false);
            ctx.lineCap = "butt";
            stroke(o9.color, o9.weight, o9.dashArray, o9.opacity);
            ctx.lineCap = "round";
          }
        }
        for (s9 = 0; s9 < segLayers.length; s9++) {
          var cut = segLayers[s9][2];
          if (!cut.options.stroke) continue;
          var cq = pt(cut.getLatLng());
          ctx.beginPath(); ctx.arc(cq[0], cq[1], cut.options.radius, 0, 2 * Math.PI);
          ctx.fillStyle = cut.options.fillColor; ctx.fill(); stroke(cut.options.color, cut.options.weight);
        }
      }
      if (map.hasLayer(placeLayer)) {
        for (var i9 = 0; i9 < np; i9++) {
          var mk = markers[i9];
          if (!mk) continue;
          var o = mk.options, q9 = pt(mk.getLatLng());
          if (q9[0] < -20 || q9[1] < -20 || q9[0] > W + 20 || q9[1] > H + 20) continue;
          ctx.beginPath(); ctx.arc(q9[0], q9[1], o.radius, 0, 2 * Math.PI);
          ctx.globalAlpha = o.fillOpacity; ctx.fillStyle = o.fillColor; ctx.fill();
          stroke(o.color, o.weight, o.dashArray);
        }
      }
      if (map.hasLayer(incidentLayer)) {
        Object.keys(incidentMarkers).forEach(function (key) {
          var im = incidentMarkers[key], q8 = pt(im.getLatLng());
          ctx.save();
          ctx.globalAlpha = im.options.opacity;
          ctx.translate(q8[0] + 9, q8[1] - 9);
          ctx.rotate(Math.PI / 4);
          ctx.fillStyle = "#ff8f00"; ctx.fillRect(-4.5, -4.5, 9, 9);
          ctx.strokeStyle = "#1d1d1d"; ctx.lineWidth = 1.5; ctx.strokeRect(-4.5, -4.5, 9, 9);
          ctx.restore();
        });
      }
      // Labels: the ones shown on screen (after decluttering), where they are, in their font.
      labels.forEach(function (lab) {
        var tip = lab.region ? null : lab.layer.getTooltip && lab.layer.getTooltip();
        var node = tip ? tip.getElement() : lab.layer.getElement && lab.layer.getElement();
        if (!node || !map.hasLayer(lab.layer)) return;
        var textNode = lab.region ? node.firstChild || node : node;
        var cs = getComputedStyle(textNode);
        if (cs.display === "none" || cs.visibility === "hidden" ||
            getComputedStyle(node).visibility === "hidden") return;
        var rc = textNode.getBoundingClientRect();
        if (!rc.width || rc.right < 0 || rc.left > W || rc.bottom < 0 || rc.top > H) return;
        ctx.font = cs.fontStyle + " " + cs.fontVariant.replace("normal", "") + " " + cs.fontWeight +
          " " + cs.fontSize + " " + cs.fontFamily;
        if ("letterSpacing" in ctx) ctx.letterSpacing = cs.letterSpacing === "normal" ? "0px" : cs.letterSpacing;
        ctx.textBaseline = "middle";
        var x = rc.left + (parseFloat(cs.paddingLeft) || 0), y = rc.top + rc.height / 2;
        var text = textNode.innerText;
        ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)";
        ctx.strokeText(text, x, y);
        ctx.fillStyle = cs.color; ctx.fillText(text, x, y);
      });
      if ("letterSpacing" in ctx) ctx.letterSpacing = "0px";
      snapshotFrame(ctx, W, H);
      return canvas;
    }
    function panel(ctx, x, y, w, h) {
      ctx.fillStyle = "rgba(255,255,255,0.92)";
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = "#9a9a9a"; ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    }
    function fitText(ctx, text, width) {
      if (ctx.measureText(text).width <= width) return text;
      while (text.length > 1 && ctx.measureText(text + "…").width > width) text = text.slice(0, -1);
      return text + "…";
    }
    var FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif";
    function snapshotFrame(ctx, W, H) {
      ctx.textBaseline = "alphabetic";
      // Title, date and what the image is, top left.
      var tw = Math.min(W - 24, 780);
      ctx.font = "700 16px " + FONT;
      var title = fitText(ctx, P.title, tw - 20);
      tw = Math.max(Math.min(tw, ctx.measureText(title).width + 22), 230);
      panel(ctx, 12, 12, tw, 66);
      ctx.fillStyle = "#1d1d1d"; ctx.fillText(title, 22, 34);
      ctx.font = "700 20px " + FONT;
      ctx.fillText(longDate(start + curDay * DAY_MS, 0), 22, 58);
      ctx.font = "italic 11px " + FONT; ctx.fillStyle = "#555";
      ctx.fillText("Screenshot of the interactive map", 22, 72);
      // Legend, bottom right.
      var rows = factions.map(function (f, j) { return [f.colour, f.label, j]; });
      rows.push(["#ffffff", "Contested", CONTESTED]);
      if (frontLayers.length) rows.push([FRONT_COLOUR, "Front line", "front"]);
      ctx.font = "12px " + FONT;
      var lw = 0;
      rows.forEach(function (r) { lw = Math.max(lw, ctx.measureText(r[1]).width); });
      lw = Math.min(lw + 44, W / 2);
      var lh = rows.length * 18 + 12, lx = W - lw - 12, ly = H - lh - 34;
      panel(ctx, lx, ly, lw, lh);
      rows.forEach(function (r, j) {
        var cy = ly + 15 + j * 18;
        if (r[2] === "front") {
          ctx.fillStyle = FRONT_COLOUR; ctx.fillRect(lx + 9, cy - 1.5, 16, 3);
        } else {
          ctx.beginPath(); ctx.arc(lx + 17, cy, 5.5, 0, 2 * Math.PI);
          ctx.fillStyle = r[0]; ctx.fill();
          ctx.strokeStyle = "#1f1f1f"; ctx.lineWidth = r[2] === CONTESTED ? 2 : 1;
          ctx.setLineDash(r[2] === CONTESTED ? [3, 2] : []); ctx.stroke(); ctx.setLineDash([]);
        }
        ctx.fillStyle = "#1d1d1d"; ctx.textBaseline = "middle";
        ctx.fillText(fitText(ctx, r[1], lw - 44), lx + 32, cy);
      });
      ctx.textBaseline = "alphabetic";
      // Sources of the events up to the shown date, on a strip along the bottom.
      var seen = {}, names = [];
      for (var e = 0; e < nev; e++) {
        if (ev.day[e] > curDay || ev.src[e] < 0) continue;
        var who = P.sources.publisher[ev.src[e]] || P.sources.title[ev.src[e]];
        if (who && !seen[who]) { seen[who] = true; names.push(who); }
      }
      var tail = " · Screenshot of the interactive map, mapper";
      ctx.font = "11px " + FONT;
      var line = "Sources: " + (names.length ? names.join(", ") : "none recorded") + tail;
      var shown = names.length;
      while (shown > 1 && ctx.measureText(line).width > W - 20) {
        shown--;
        line = "Sources: " + names.slice(0, shown).join(", ") + " and " + (names.length - shown) +
          " more" + tail;
      }
      ctx.fillStyle = "rgba(255,255,255,0.92)"; ctx.fillRect(0, H - 22, W, 22);
      ctx.fillStyle = "#333"; ctx.fillText(fitText(ctx, line, W - 20), 10, H - 7);
    }
    function downloadPng() {
      var a = el("a");
      a.download = (P.id || "map") + "-" + dates[curDay] + ".png";
      a.href = snapshotCanvas().toDataURL("image/png");
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
    bar.querySelector(".ts-download").addEventListener("click", downloadPng);

    // Online tiles: only if one tile can be fetched (offline pages keep the vector base map).
    (function probeTiles() {
      var t = P.tiles;
      if (!t || !t.url || location.protocol === "about:") return;
      var img = new Image();
      img.onload = function () {
        var tiles = L.tileLayer(t.url, {attribution: t.attribution, maxZoom: t.max_zoom, opacity: 0.9});
        layerControl.addOverlay(tiles, "Online map tiles");
        tiles.addTo(map);
      };
      img.onerror = function () { /* offline: keep the embedded base map only */ };
      img.src = t.probe;
    })();

    // ---- start ------------------------------------------------------------------------------
    var first = readHash();
    applyEmbed();
    restyleAll();
    var firstDay = first !== null ? dayOf(first) : -1;
    go(firstDay >= 0 ? firstDay : 0, firstDay < 0);
    if (firstDay >= 0) writeHash();
    declutter();

    return {
      dates: dates.slice(),
      date: function () { return dates[curDay]; },
      setDate: function (text) {
        var d = dayOf(String(text));
        if (d < 0) return Promise.reject(new RangeError("date outside the slider: " + text));
        go(d);
        return new Promise(afterDraw);
      },
      state: function () {
        var out = {};
        for (var j = 0; j < np; j++) {
          var c = cur[j];
          out[places.id[j]] = c === CONTESTED ? "contested" : c >= 0 ? factions[c].id : null;
        }
        return out;
      },
      play: function () { setPlaying(true); },
      pause: function () { setPlaying(false); },
      playing: function () { return playing; },
      changeDates: function () { return changeDays.map(function (d) { return dates[d]; }); },
      snapshot: snapshotCanvas,
      map: map,
      layers: {places: placeLayer, labels: labelLayer, areas: areaLayer, fronts: frontLayer,
        routes: routeLayer, incidents: incidentLayer, base: baseLayer}
    };
  }
})();
