/*
 * mapper browser code, module ground: the areas of control and the front lines, painted on
 * a canvas from the model's atoms (payload ``atoms`` and ``fronts``, see payload.py _atoms).
 *
 * The geometry is held once: each shared border arc in Web Mercator pixels at zoom 0, then,
 * per zoom, in pixels thinned to vertices at least TOLERANCE px apart (arcs are thinned alone,
 * so neighbouring atoms still meet exactly). A frame paints one path per holder: every atom a
 * side holds is traced into the same path and filled once (even-odd; the atoms never overlap),
 * so the cost of a date is one pass over the visible vertices, whatever changed.
 *
 * The pure part (project, thin, trace, group, hit test) needs no DOM; Layer, a Leaflet canvas
 * renderer that paints through a callback, needs Leaflet.
 */
(function (M) {
  "use strict";

  var TOLERANCE = 0.6;  // px: vertices closer than this to the last kept one are dropped
  var DEG = Math.PI / 180, MAX_LAT = 85.0511287798;

  // Web Mercator at zoom 0 (a 256-pixel world), as Leaflet's EPSG3857 places a point.
  function mercator(lat, lon) {
    var la = Math.max(Math.min(lat, MAX_LAT), -MAX_LAT);
    var s = Math.sin(la * DEG);
    return [256 * (0.5 + lon / 360), 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI))];
  }

  // The geometry of the ground: arcs as [lat, lon] lists (decoded), atoms as lists of
  // polygons of rings of arc references (i as stored, -1 - i reversed).
  function geometry(arcs, rings) {
    var world = new Array(arcs.length), box = new Array(rings.length);
    for (var a = 0; a < arcs.length; a++) {
      var arc = arcs[a], xy = new Float64Array(arc.length * 2);
      for (var v = 0; v < arc.length; v++) {
        var p = mercator(arc[v][0], arc[v][1]);
        xy[2 * v] = p[0]; xy[2 * v + 1] = p[1];
      }
      world[a] = xy;
    }
    // Each atom's box at zoom 0 (from its outer rings), to skip atoms out of view.
    for (var k = 0; k < rings.length; k++) {
      var b = [Infinity, Infinity, -Infinity, -Infinity];
      for (var q = 0; q < rings[k].length; q++) {
        var outer = rings[k][q][0] || [];
        for (var r = 0; r < outer.length; r++) {
          var w = world[outer[r] >= 0 ? outer[r] : -1 - outer[r]];
          for (var i = 0; i < w.length; i += 2) {
            if (w[i] < b[0]) b[0] = w[i];
            if (w[i] > b[2]) b[2] = w[i];
            if (w[i + 1] < b[1]) b[1] = w[i + 1];
            if (w[i + 1] > b[3]) b[3] = w[i + 1];
          }
        }
      }
      box[k] = b;
    }
    return {arcs: arcs, rings: rings, world: world, box: box, zoomed: {}};
  }

  // The arcs at ``scale`` pixels per zoom-0 pixel (2^zoom), thinned; cached per scale.
  function scaled(geom, scale) {
    var hit = geom.zoomed[scale];
    if (hit) return hit;
    var out = new Array(geom.world.length), tol2 = TOLERANCE * TOLERANCE;
    for (var a = 0; a < geom.world.length; a++) {
      var w = geom.world[a], n = w.length / 2, xy = new Float64Array(w.length), m = 0;
      var lx = 0, ly = 0;
      for (var v = 0; v < n; v++) {
        var x = w[2 * v] * scale, y = w[2 * v + 1] * scale;
        var dx = x - lx, dy = y - ly;
        if (v === 0 || v === n - 1 || dx * dx + dy * dy >= tol2) {
          xy[m++] = x; xy[m++] = y; lx = x; ly = y;
        }
      }
      out[a] = xy.subarray(0, m);
    }
    geom.zoomed = {};  // one zoom at a time: the others are cheap to make again
    geom.zoomed[scale] = out;
    return out;
  }

  // Add atom k's rings to the context's path; (ox, oy) is subtracted from every point.
  function traceAtom(ctx, rings, xy, ox, oy) {
    for (var q = 0; q < rings.length; q++) {
      for (var r = 0; r < rings[q].length; r++) {
        var refs = rings[q][r], started = false;
        for (var j = 0; j < refs.length; j++) {
          var ref = refs[j], arc = xy[ref >= 0 ? ref : -1 - ref], n = arc.length / 2;
          for (var t = 0; t < n; t++) {
            var v = ref >= 0 ? t : n - 1 - t;
            if (started && t === 0) continue;  // arcs of a ring share their end points
            var x = arc[2 * v] - ox, y = arc[2 * v + 1] - oy;
            if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
          }
        }
        if (started) ctx.closePath();
      }
    }
  }

  // Add arc ``a`` to the context's path.
  function traceArc(ctx, arc, ox, oy) {
    for (var v = 0; v < arc.length; v += 2) {
      if (v) ctx.lineTo(arc[v] - ox, arc[v + 1] - oy); else ctx.moveTo(arc[v] - ox, arc[v + 1] - oy);
    }
  }

  // The atoms of each holder: {holder: [atoms]} for the holders in ``cur`` (in the order met),
  // leaving out atoms for which ``skip(k)`` is true.
  function groups(cur, skip) {
    var out = {}, order = [];
    for (var k = 0; k < cur.length; k++) {
      if (skip && skip(k)) continue;
      var c = cur[k];
      if (!out[c]) { out[c] = []; order.push(c); }
      out[c].push(k);
    }
    return {order: order.sort(function (a, b) { return a - b; }), atoms: out};
  }

  // Fill patterns: an 8-pixel tile of the colour with light marks (dark for stripes), lines
  // turned 45 degrees; one CanvasPattern per colour and kind (needs a DOM).
  var PATTERN_INK = {hatch: "#ffffff", cross: "#ffffff", dots: "#ffffff", stripes: "#222222"};
  var patterns = {};
  function pattern(colour, kind) {
    var key = colour + ":" + kind;
    if (patterns[key]) return patterns[key];
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
    var p = g.createPattern(c, "repeat");
    if (kind !== "dots" && p.setTransform && window.DOMMatrix) {
      p.setTransform(new DOMMatrix().rotate(45));
    }
    return (patterns[key] = p);
  }

  // Paint the areas: per holder, one path of all its atoms, filled as fillOf(c) says:
  // {colour, alpha, pattern} (styles.areaFill), or {fill: a CanvasPattern, alpha}; null: not
  // drawn. ``view``:
  // {scale, ox, oy, box: [x1, y1, x2, y2] in the same pixels, or null for all}.
  function paintAreas(ctx, geom, cur, fillOf, view) {
    var xy = scaled(geom, view.scale), s = view.scale, vb = view.box;
    var g = groups(cur, vb ? function (k) {
      var b = geom.box[k];
      return b[2] * s < vb[0] || b[0] * s > vb[2] || b[3] * s < vb[1] || b[1] * s > vb[3];
    } : null);
    for (var i = 0; i < g.order.length; i++) {
      var c = g.order[i], f = fillOf(c);
      if (!f || !(f.colour || f.fill)) continue;
      var list = g.atoms[c];
      ctx.beginPath();
      for (var j = 0; j < list.length; j++) traceAtom(ctx, geom.rings[list[j]], xy, view.ox, view.oy);
      ctx.globalAlpha = f.alpha === undefined ? 1 : f.alpha;
      ctx.fillStyle = f.fill || (f.pattern ? pattern(f.colour, f.pattern) : f.colour);
      ctx.fill("evenodd");
    }
    ctx.globalAlpha = 1;
  }

  // The fronts shown for the holders ``cur``: indices e of ``fronts`` whose two atoms are
  // held by different known sides (shown(a, b) decides).
  function shownFronts(fronts, cur, shown) {
    var out = [];
    for (var e = 0; e < fronts.arc.length; e++) {
      if (shown(cur[fronts.a[e]], cur[fronts.b[e]])) out.push(e);
    }
    return out;
  }

  // Stroke the given fronts as one path.
  function paintFronts(ctx, geom, fronts, list, view, colour, weight) {
    var xy = scaled(geom, view.scale);
    ctx.beginPath();
    for (var i = 0; i < list.length; i++) traceArc(ctx, xy[fronts.arc[list[i]]], view.ox, view.oy);
    ctx.lineJoin = ctx.lineCap = "round";
    ctx.strokeStyle = colour;
    ctx.lineWidth = weight;
    ctx.globalAlpha = 0.9;
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  // The atom under (lat, lon), or -1: even-odd ray casting over each atom's rings.
  function atomAt(geom, lat, lon) {
    var p = mercator(lat, lon), px = p[0], py = p[1];
    for (var k = 0; k < geom.rings.length; k++) {
      var b = geom.box[k];
      if (px < b[0] || px > b[2] || py < b[1] || py > b[3]) continue;
      var inside = false, rings = geom.rings[k];
      for (var q = 0; q < rings.length; q++) {
        for (var r = 0; r < rings[q].length; r++) {
          var pts = ringPoints(geom.world, rings[q][r]);
          for (var i = 0, j = pts.length - 2; i < pts.length; j = i, i += 2) {
            var xi = pts[i], yi = pts[i + 1], xj = pts[j], yj = pts[j + 1];
            if ((yi > py) !== (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) {
              inside = !inside;
            }
          }
        }
      }
      if (inside) return k;
    }
    return -1;
  }
  function ringPoints(world, refs) {
    var out = [];
    for (var j = 0; j < refs.length; j++) {
      var ref = refs[j], arc = world[ref >= 0 ? ref : -1 - ref], n = arc.length / 2;
      for (var t = 0; t < n; t++) {
        var v = ref >= 0 ? t : n - 1 - t;
        out.push(arc[2 * v], arc[2 * v + 1]);
      }
    }
    return out;
  }

  // Ground changed between two states: per atom whose holder differs, and a table of km²
  // (atom areas ``km2`` in tenths) gained and lost by each holder.
  function compare(before, after, km2) {
    var moved = [], gained = {}, lost = {};
    for (var k = 0; k < after.length; k++) {
      var a = before[k], b = after[k];
      if (a === b) continue;
      moved.push(k);
      var area = km2[k] / 10;
      gained[b] = (gained[b] || 0) + area;
      lost[a] = (lost[a] || 0) + area;
    }
    return {moved: moved, gained: gained, lost: lost};
  }

  // A Leaflet canvas renderer with no paths of its own: it paints the whole canvas through
  // ``options.paint(ctx, view)`` when the map moves or refresh() is called (one frame later).
  var Layer = typeof L === "undefined" ? null : L.Canvas.extend({
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      this._redraw();
    },
    _draw: function () {
      var map = this._map, b = this._bounds;
      if (!map || !b) return;
      var z = map.getZoom(), scale = Math.pow(2, z), origin = map.getPixelOrigin();
      // Canvas coordinates are layer points (Leaflet translated the context by -b.min).
      var view = {scale: scale, ox: origin.x, oy: origin.y,
        box: [b.min.x + origin.x, b.min.y + origin.y, b.max.x + origin.x, b.max.y + origin.y]};
      this.options.paint(this._ctx, view);
    },
    refresh: function () {
      if (!this._map) return;
      this._redrawRequest = this._redrawRequest || L.Util.requestAnimFrame(this._redraw, this);
    }
  });

  M.ground = {TOLERANCE: TOLERANCE, mercator: mercator, geometry: geometry, scaled: scaled,
    traceAtom: traceAtom, groups: groups, paintAreas: paintAreas, shownFronts: shownFronts,
    paintFronts: paintFronts, pattern: pattern, atomAt: atomAt, compare: compare, Layer: Layer};
})(window.__mapper || (window.__mapper = {}));
