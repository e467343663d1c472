/*
 * mapper browser code, module incidents: incidents binned per zoom, so that a day with
 * thousands of them stays readable. Pure functions (no DOM, no Leaflet): the layer code
 * projects nothing itself, it asks cluster() for one mark per grid cell of the screen and
 * draws each as a disc sized by its count, faded by the age of its newest incident.
 *
 * A cell is CELL_PX screen pixels wide at the zoom asked, in Web Mercator (Leaflet's
 * EPSG:3857 with 256-pixel tiles), so marks never overlap by more than their radius and the
 * number of marks is bounded by the screen, not by the data. Same input, same output: cells
 * come out in a fixed order (row, then column) and a cell's mark sits at its incidents' mean.
 */
(function (M) {
  "use strict";

  var CELL_PX = 40;  // grid cell, in screen pixels
  var MAX_LAT = 85.0511287798;  // Web Mercator's limit

  // Pixel coordinates of (lat, lon) at zoom z: the world is 256 * 2^z pixels wide.
  function project(lat, lon, zoom) {
    var size = 256 * Math.pow(2, zoom);
    var la = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180;
    var x = (lon + 180) / 360 * size;
    var y = (0.5 - Math.log((1 + Math.sin(la)) / (1 - Math.sin(la))) / (4 * Math.PI)) * size;
    return [x, y];
  }

  // Bin incidents into cells of ``cell`` pixels at ``zoom``.
  //   lat, lon: coordinate of each event (arrays indexed by event number);
  //   shown: the event numbers to bin (the day's incidents and the fading ones before);
  //   age: optional, days since each shown incident (same order as shown; 0 = today).
  // Returns {lat, lon, count, age, members, cell}: one entry per non-empty cell, in row-major
  // order of the cells; age is the youngest member's, members the event numbers, ascending,
  // cell the cell's key ("row:column", the same cell on another day has the same key).
  function cluster(lat, lon, shown, zoom, cell, age) {
    var px = cell || CELL_PX;
    var cells = {};
    var keys = [];
    for (var i = 0; i < shown.length; i++) {
      var e = shown[i];
      var p = project(lat[e], lon[e], zoom);
      var cx = Math.floor(p[0] / px), cy = Math.floor(p[1] / px);
      var key = cy + ":" + cx;
      var c = cells[key];
      if (!c) {
        c = cells[key] = {cx: cx, cy: cy, lat: 0, lon: 0, age: Infinity, members: []};
        keys.push(key);
      }
      c.lat += lat[e]; c.lon += lon[e];
      c.members.push(e);
      var a = age ? age[i] : 0;
      if (a < c.age) c.age = a;
    }
    var list = keys.map(function (k) { return cells[k]; });
    list.sort(function (a, b) { return a.cy - b.cy || a.cx - b.cx; });
    var out = {lat: [], lon: [], count: [], age: [], members: [], cell: []};
    for (var j = 0; j < list.length; j++) {
      var m = list[j], n = m.members.length;
      m.members.sort(function (a, b) { return a - b; });
      out.lat.push(m.lat / n); out.lon.push(m.lon / n);
      out.count.push(n); out.age.push(m.age); out.members.push(m.members);
      out.cell.push(m.cy + ":" + m.cx);
    }
    return out;
  }

  // Radius (px) of a mark for ``count`` incidents: 5 px for one, growing with the square
  // root of the count (the disc's area with the count), at most half a cell.
  function radius(count, cell) {
    var most = (cell || CELL_PX) / 2;
    return Math.min(most, 5 * Math.sqrt(Math.max(1, count)));
  }

  // The count as a short label: "7", "950", "1.2k", "12k".
  function label(count) {
    if (count < 1000) return String(count);
    var k = count / 1000;
    return (k < 10 ? Math.round(k * 10) / 10 : Math.round(k)) + "k";
  }

  // Opacity of a mark whose newest incident is ``age`` days old, over ``days`` days of fade.
  function opacity(age, days) {
    if (!(days > 0)) return age > 0 ? 0 : 1;
    return Math.max(0, 1 - age / days);
  }

  // The event numbers of incidents to show on day ``d``: those of the last ``days`` days,
  // with their ages, from ``incidentsOn`` (a list of event numbers per day index).
  function shownOn(incidentsOn, d, days) {
    var shown = [], age = [];
    for (var a = 0; a < Math.max(1, days); a++) {
      var list = incidentsOn[d - a];
      if (!list) continue;
      for (var i = 0; i < list.length; i++) { shown.push(list[i]); age.push(a); }
    }
    return {shown: shown, age: age};
  }

  M.incidents = {CELL_PX: CELL_PX, project: project, cluster: cluster, radius: radius,
    label: label, opacity: opacity, shownOn: shownOn};
})(window.__mapper || (window.__mapper = {}));
