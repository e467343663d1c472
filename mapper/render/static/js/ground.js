/*
 * mapper browser code, module ground: the areas of control and the front lines, painted on
 * a canvas from the model's atoms (payload ``atoms`` and ``fronts``, see payload.py _atoms).
 *
 * The geometry is held once: each shared border arc in Web Mercator pixels at zoom 0, then,
 * per zoom, in pixels thinned to vertices at least TOLERANCE px apart (arcs are thinned alone,
 * so neighbouring atoms still meet exactly). A frame paints one path per holder made of the
 * arcs between that holder and another (or the edge of the ground), chained into rings and
 * filled even-odd: the atoms a side holds merge without seams, and a date costs one pass over
 * the arcs plus the vertices of the borders between sides, however many atoms there are.
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
  // polygons of rings of arc references (i as stored, -1 - i reversed). Its ``fronts``
  // ({arc, a, b}: the arcs between two atoms) are what payload.py no longer sends.
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
    // Each atom's box at zoom 0 (from its outer rings), for the hit test.
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
    // Per arc: the atoms on its two sides (-1: outside the ground), and the nodes at its ends.
    var side = new Int32Array(2 * arcs.length).fill(-1), node = new Int32Array(2 * arcs.length);
    for (var k2 = 0; k2 < rings.length; k2++) {
      for (var q2 = 0; q2 < rings[k2].length; q2++) {
        for (var r2 = 0; r2 < rings[k2][q2].length; r2++) {
          var refs = rings[k2][q2][r2];
          for (var j = 0; j < refs.length; j++) {
            var a2 = refs[j] >= 0 ? refs[j] : -1 - refs[j];
            if (side[2 * a2] < 0) side[2 * a2] = k2; else side[2 * a2 + 1] = k2;
          }
        }
      }
    }
    var ids = {}, nodes = 0;
    for (var a3 = 0; a3 < arcs.length; a3++) {
      var w3 = world[a3], last = w3.length - 2;
      var keys = [w3[0] + "," + w3[1], w3[last] + "," + w3[last + 1]];
      for (var e = 0; e < 2; e++) {
        if (!(keys[e] in ids)) ids[keys[e]] = nodes++;
        node[2 * a3 + e] = ids[keys[e]];
      }
    }
    // The fronts: every arc with an atom on each side (arc, a the first in atom order, b).
    var fronts = {arc: [], a: [], b: []};
    for (var a4 = 0; a4 < arcs.length; a4++) {
      if (side[2 * a4] < 0 || side[2 * a4 + 1] < 0) continue;
      fronts.arc.push(a4); fronts.a.push(side[2 * a4]); fronts.b.push(side[2 * a4 + 1]);
    }
    return {arcs: arcs, rings: rings, world: world, box: box, side: side, node: node,
      fronts: fronts, head: new Int32Array(nodes).fill(-1), zoomed: {}};
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

  // Add the arcs ``list`` (indices), which form closed rings, to the context's path (for
  // filling only: the rings are left open): each ring walked from arc to arc through their
  // shared nodes. At a node where several rings meet any pairing will do: filled even-odd,
  // the result is the same.
  function traceRings(ctx, geom, list, xy, ox, oy) {
    var node = geom.node, head = geom.head, n = list.length;
    var link = new Int32Array(2 * n), used = new Uint8Array(n);
    for (var i = 0; i < n; i++) {
      for (var end = 0; end < 2; end++) {
        var nd = node[2 * list[i] + end];
        link[2 * i + end] = head[nd];
        head[nd] = 2 * i + end;
      }
    }
    for (var i2 = 0; i2 < n; i2++) {
      if (used[i2]) continue;
      used[i2] = 1;
      var a = list[i2], arc = xy[a], start = node[2 * a];
      ctx.moveTo(arc[0] - ox, arc[1] - oy);
      for (var v = 2; v < arc.length; v += 2) ctx.lineTo(arc[v] - ox, arc[v + 1] - oy);
      var at = node[2 * a + 1];
      while (at !== start) {
        var slot = head[at];
        while (slot >= 0 && used[slot >> 1]) slot = link[slot];
        if (slot < 0) break;  // not closed: cannot happen with the arcs of a region's border
        var j = slot >> 1, a2 = list[j], arc2 = xy[a2];
        used[j] = 1;
        if ((slot & 1) === 0) {  // leaves from its start: walk it forwards
          for (var f = 2; f < arc2.length; f += 2) ctx.lineTo(arc2[f] - ox, arc2[f + 1] - oy);
          at = node[2 * a2 + 1];
        } else {
          for (var g = arc2.length - 4; g >= 0; g -= 2) ctx.lineTo(arc2[g] - ox, arc2[g + 1] - oy);
          at = node[2 * a2];
        }
      }
      // No closePath: fill() closes every ring itself, and in Chromium a closePath on a
      // path of many rings cost more than all the rest of a frame (50,000 atoms: 1.5 s).
    }
    for (var r = 0; r < n; r++) {
      head[node[2 * list[r]]] = -1;
      head[node[2 * list[r] + 1]] = -1;
    }
  }

  // The border arcs of each holder: {order: holders (ascending), arcs: {holder: [arcs]}}, the
  // arcs between an atom of that holder and an atom of another or the edge of the ground.
  var OUTSIDE = -32768;
  function borders(geom, cur) {
    var side = geom.side, out = {}, order = [];
    function add(c, a) {
      if (!out[c]) { out[c] = []; order.push(c); }
      out[c].push(a);
    }
    for (var a = 0; a < side.length / 2; a++) {
      var l = side[2 * a], r = side[2 * a + 1];
      var hl = l >= 0 ? cur[l] : OUTSIDE, hr = r >= 0 ? cur[r] : OUTSIDE;
      if (hl === hr) continue;
      if (hl !== OUTSIDE) add(hl, a);
      if (hr !== OUTSIDE) add(hr, a);
    }
    return {order: order.sort(function (x, y) { return x - y; }), arcs: out};
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

  // Paint the areas: per holder, one path of its borders, filled as fillOf(c) says:
  // {colour, alpha, pattern} (styles.areaFill), or {fill: a CanvasPattern, alpha}; null: not
  // drawn. ``view``: {scale, ox, oy} (canvas pixels are scale * zoom-0 pixels - (ox, oy)).
  function paintAreas(ctx, geom, cur, fillOf, view) {
    var xy = scaled(geom, view.scale), b = borders(geom, cur);
    for (var i = 0; i < b.order.length; i++) {
      var c = b.order[i], f = fillOf(c);
      if (!f || !(f.colour || f.fill)) continue;
      ctx.beginPath();
      traceRings(ctx, geom, b.arcs[c], xy, view.ox, view.oy);
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

  // The given fronts as chains: lists of [arc, forwards] that follow each other end to end
  // through nodes where exactly two of them meet (elsewhere a chain ends). Each front is in
  // one chain; a ring of fronts is one chain that ends where it starts.
  function frontChains(geom, fronts, list) {
    var node = geom.node, head = geom.head, n = list.length;
    var link = new Int32Array(2 * n), used = new Uint8Array(n), out = [];
    var deg = geom.deg || (geom.deg = new Int32Array(head.length));
    for (var i = 0; i < n; i++) {
      for (var end = 0; end < 2; end++) {
        var nd = node[2 * fronts.arc[list[i]] + end];
        link[2 * i + end] = head[nd];
        head[nd] = 2 * i + end;
        deg[nd] += 1;
      }
    }
    // From front i, entered at its end ``from``, on through the nodes of degree two.
    function walk(i, from) {
      var chain = [];
      for (;;) {
        used[i] = 1;
        chain.push([fronts.arc[list[i]], from === 0]);
        var at = node[2 * fronts.arc[list[i]] + 1 - from];
        if (deg[at] !== 2) break;
        var slot = head[at];
        while (slot >= 0 && used[slot >> 1]) slot = link[slot];
        if (slot < 0) break;  // back where a ring started
        i = slot >> 1; from = slot & 1;
      }
      out.push(chain);
    }
    for (var a = 0; a < n; a++) {  // chains that end: from a node of another degree
      for (var e = 0; e < 2; e++) {
        if (!used[a] && deg[node[2 * fronts.arc[list[a]] + e]] !== 2) walk(a, e);
      }
    }
    for (var r = 0; r < n; r++) if (!used[r]) walk(r, 0);  // rings
    for (var c = 0; c < n; c++) {
      for (var e2 = 0; e2 < 2; e2++) {
        var nd2 = node[2 * fronts.arc[list[c]] + e2];
        head[nd2] = -1; deg[nd2] = 0;
      }
    }
    return out;
  }

  // Stroke the given fronts as one path of chains: where two fronts meet alone, a round join
  // instead of two round caps (the same line, and much less for the browser to rasterise:
  // most of a jump's drawing time at 2,000 places was these caps).
  function paintFronts(ctx, geom, fronts, list, view, colour, weight) {
    var xy = scaled(geom, view.scale), chains = frontChains(geom, fronts, list);
    var ox = view.ox, oy = view.oy;
    ctx.beginPath();
    for (var c = 0; c < chains.length; c++) {
      var chain = chains[c];
      for (var k = 0; k < chain.length; k++) {
        var arc = xy[chain[k][0]], m = arc.length;
        if (chain[k][1]) {
          if (!k) ctx.moveTo(arc[0] - ox, arc[1] - oy);
          for (var v = 2; v < m; v += 2) ctx.lineTo(arc[v] - ox, arc[v + 1] - oy);
        } else {
          if (!k) ctx.moveTo(arc[m - 2] - ox, arc[m - 1] - oy);
          for (var w = m - 4; w >= 0; w -= 2) ctx.lineTo(arc[w] - ox, arc[w + 1] - oy);
        }
      }
    }
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
  // ``options.paint(ctx, view)`` when the map moves or refresh() is called (one frame later);
  // options.later(): true while the page starts (the map moves and the date is set before
  // its first frame): paint once, in that frame, not on every move before it.
  var Layer = typeof L === "undefined" ? null : L.Canvas.extend({
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      if (this.options.later && this.options.later()) { this.refresh(); return; }
      this._redraw();
    },
    _draw: function () {
      var map = this._map, b = this._bounds;
      if (!map || !b) return;
      var z = map.getZoom(), scale = Math.pow(2, z), origin = map.getPixelOrigin();
      // Canvas coordinates are layer points (Leaflet translated the context by -b.min).
      var view = {scale: scale, ox: origin.x, oy: origin.y};
      this.options.paint(this._ctx, view);
    },
    refresh: function () {
      if (!this._map) return;
      this._redrawRequest = this._redrawRequest || L.Util.requestAnimFrame(this._redraw, this);
    },
    // Printing: Chromium drops the map's panes from the printout while this canvas is in
    // them (seen with Debian's Chromium 14x-15x), so for print the canvas stands behind an
    // image of itself, made after the map was redrawn for the paper; on=false undoes it.
    printImage: function (on) {
      var c = this._container;
      if (this._printed) { this._printed.remove(); this._printed = null; }
      if (!c) return;
      c.style.visibility = on ? "hidden" : "";
      if (!on) return;
      var img = document.createElement("img");
      img.alt = "";
      img.src = c.toDataURL();
      img.className = c.className;
      img.style.cssText = c.style.cssText;
      img.style.visibility = "";
      c.parentNode.insertBefore(img, c);
      this._printed = img;
    }
  });

  M.ground = {TOLERANCE: TOLERANCE, mercator: mercator, geometry: geometry, scaled: scaled,
    traceRings: traceRings, borders: borders, paintAreas: paintAreas, shownFronts: shownFronts,
    frontChains: frontChains, paintFronts: paintFronts, pattern: pattern, atomAt: atomAt, compare: compare, Layer: Layer};
})(window.__mapper || (window.__mapper = {}));
