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
 * Where those borders are too many to fill (tens of thousands of interleaved atoms), the areas
 * and fronts are painted from a raster of atom ids made once per view instead (rasterise):
 * a date is then a lookup per pixel of the atoms whose holder changed.
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

  // Whether the areas and fronts are painted from the atom raster at the view's zoom: with
  // many atoms, or when the borders between sides have many vertices on the canvas (holders
  // interleaved atom by atom: at 5,000 places 24,000 border vertices, whose anti-aliased
  // fill took 17 ms of a jump, against ~1 ms from the raster). Decided once a zoom (with the
  // date and view then shown), so that a date never switches the way the map is drawn.
  function rasterAt(geom, cur, view) {
    if (geom.rings.length > M.ground.RASTER_ATOMS) return true;
    var memo = geom.rasterAt || (geom.rasterAt = {}), s = view.scale;
    if (memo[s] === undefined) {
      var xy = scaled(geom, s), b = borders(geom, cur), seen = new Uint8Array(xy.length), n = 0;
      // the canvas, in the scaled geometry's pixels (everywhere if the view does not say)
      var px = view.pixels, x0 = -Infinity, y0 = -Infinity, x1 = Infinity, y1 = Infinity;
      if (px) {
        x0 = px.x + view.ox; y0 = px.y + view.oy;
        x1 = x0 + px.width / px.ratio; y1 = y0 + px.height / px.ratio;
      }
      for (var i = 0; i < b.order.length; i++) {
        var arcs = b.arcs[b.order[i]];
        for (var j = 0; j < arcs.length; j++) {
          var a = arcs[j];
          if (seen[a]) continue;
          seen[a] = 1;
          var pts = xy[a];
          for (var k = 0; k < pts.length; k += 2) {
            if (pts[k] >= x0 && pts[k] <= x1 && pts[k + 1] >= y0 && pts[k + 1] <= y1) n++;
          }
        }
      }
      memo[s] = n > M.ground.RASTER_VERTICES;
    }
    return memo[s];
  }
  // Paint the areas: per holder, one path of its borders, filled as fillOf(c) says:
  // {colour, alpha, pattern} (styles.areaFill), or {fill: a CanvasPattern, alpha}; null: not
  // drawn. ``view``: {scale, ox, oy} (canvas pixels are scale * zoom-0 pixels - (ox, oy)).
  // The opaque holder with the most border is painted first, over the outline of all opaque
  // ground, and the other opaque holders over it: its borders with them are not traced (a
  // canvas without GPU spends most of an area frame on the edges), and no seam of the map
  // below shows between two holders' anti-aliased edges.
  function paintAreas(ctx, geom, cur, fillOf, view) {
    if (view.pixels && view.pixels.role === "areas" && rasterAt(geom, cur, view)) {
      paintRaster(ctx, geom, cur, fillOf, view);
      return;
    }
    var xy = scaled(geom, view.scale), b = borders(geom, cur), fills = {}, base = null, i, c;
    // A holder's fill (null: not drawn), asked of fillOf once a paint.
    function fillFor(h) {
      if (fills[h] === undefined) {
        var f = fillOf(h);
        fills[h] = f && (f.colour || f.fill) ? f : null;
      }
      return fills[h];
    }
    for (i = 0; i < b.order.length; i++) {
      c = b.order[i];
      if (opaque(fillFor(c)) && (base === null || b.arcs[c].length > b.arcs[base].length)) base = c;
    }
    // view.memo (a canvas's, for one view): the base chosen at the view's first paint is kept,
    // so that a repaint of part of the canvas paints what a whole one would.
    var memo = view.memo;
    if (memo && memo.base !== undefined) base = memo.base;
    else if (memo) memo.base = base;
    var paths = memo && typeof Path2D !== "undefined" ? keptPaths(memo, cur, fillFor) : null;
    if (base !== null) {
      fill(ctx, geom, function () {
        return outline(geom, cur, function (h) { return opaque(fillFor(h)); });
      }, xy, view, fillFor(base), paths, "outline");
    }
    for (i = 0; i < b.order.length; i++) {
      c = b.order[i];
      if (fills[c] && c !== base) fill(ctx, geom, b.arcs[c], xy, view, fills[c], paths, c);
    }
    ctx.globalAlpha = 1;
  }
  function opaque(f) { return !!f && (f.alpha === undefined || f.alpha === 1); }
  // The paths kept in ``memo`` (one view's) by holder, less those of the holders whose atoms
  // changed since the last paint (and the opaque ground's outline when an atom went from
  // opaque to not, or back); fillFor(holder) gives a holder's fill.
  function keptPaths(memo, cur, fillFor) {
    var last = memo.cur;
    if (!last || last.length !== cur.length) {
      memo.cur = new cur.constructor(cur);
      return (memo.paths = {});
    }
    var paths = memo.paths;
    for (var k = 0; k < cur.length; k++) {
      var a = last[k], b = cur[k];
      if (a === b) continue;
      delete paths[a];
      delete paths[b];
      if (opaque(fillFor(a)) !== opaque(fillFor(b))) delete paths.outline;
      last[k] = b;
    }
    return paths;
  }
  // Fill the rings of ``arcs`` (or of arcs(), a function, called only if they are traced)
  // with f; with ``paths``, the path is kept there under ``key`` and drawn again from it while
  // it is there.
  function fill(ctx, geom, arcs, xy, view, f, paths, key) {
    ctx.globalAlpha = f.alpha === undefined ? 1 : f.alpha;
    ctx.fillStyle = f.fill || (f.pattern ? pattern(f.colour, f.pattern) : f.colour);
    var list = typeof arcs === "function" ? null : arcs;
    if (paths) {
      var path = paths[key];
      if (!path) {
        path = paths[key] = new Path2D();
        traceRings(path, geom, list || arcs(), xy, view.ox, view.oy);
      }
      ctx.fill(path, "evenodd");
      return;
    }
    ctx.beginPath();
    traceRings(ctx, geom, list || arcs(), xy, view.ox, view.oy);
    ctx.fill("evenodd");
  }
  // The arcs around the atoms whose holder is ``inside(holder)``: with one side in, the other
  // out (or the edge of the ground).
  function outline(geom, cur, inside) {
    var side = geom.side, out = [], seen = {};
    for (var a = 0; a < side.length / 2; a++) {
      var l = side[2 * a], r = side[2 * a + 1];
      var hl = l >= 0 ? cur[l] : OUTSIDE, hr = r >= 0 ? cur[r] : OUTSIDE;
      if (hl === hr) continue;
      var il = hl !== OUTSIDE && (seen[hl] === undefined ? (seen[hl] = inside(hl)) : seen[hl]);
      var ir = hr !== OUTSIDE && (seen[hr] === undefined ? (seen[hr] = inside(hr)) : seen[hr]);
      if (il !== ir) out.push(a);
    }
    return out;
  }

  // Areas of many atoms are painted from a raster of atom ids made once per view (rasterise):
  // a frame writes the pixels of the atoms that changed hands, run by run (atomRuns), and
  // the fronts from the pixel pairs listed once per view (edgePairs), so that its cost follows
  // what changed, not the borders. Paths (anti-aliased edges, the better look) cost with the
  // border vertices on the canvas, whatever changed: a jump across the range at 2,000
  // interleaved places (9,400 border vertices) took 30 ms with paths, 16 ms from the raster;
  // the 730-day polygon case (2,400 border vertices, 12,606 atoms in large regions) costs the
  // same either way and keeps its paths; the 50,000 atoms of the ACLED-sized case: paths
  // 850 ms.
  var RASTER_ATOMS = 20000, RASTER_VERTICES = 5000;

  // Scratch space of rasterise, grown as needed: per crossing its row and x, then the xs
  // sorted by row, and per row a count.
  var scratch = {row: new Int32Array(1024), x: new Float64Array(1024),
    sorted: new Float64Array(1024), count: new Int32Array(1024)};
  function grow(arr, n) {
    if (arr.length >= n) return arr;
    var out = new arr.constructor(Math.max(n, 2 * arr.length));
    out.set(arr);
    return out;
  }

  // Which atom covers each pixel of a w x h canvas (Int32Array, row by row, -1: none). A pixel
  // is an atom's when its centre is inside the atom's rings, even-odd; canvas pixel =
  // (xy - (ox, oy)) * ratio, xy the arcs at the view's scale (``scaled``). Each segment of an
  // arc is cut by the rows of pixel centres in the same way for the two atoms it bounds, so
  // neighbours meet with neither gap nor overlap. ``boxes`` (optional, 4 per atom): set to each
  // atom's pixels' box [x0, y0, x1, y1) (x0 >= x1: no pixel).
  function rasterise(geom, xy, scale, ox, oy, ratio, w, h, boxes) {
    var ids = new Int32Array(w * h).fill(-1), rings = geom.rings, box = geom.box;
    if (boxes) boxes.fill(0);
    for (var k = 0; k < rings.length; k++) {
      var b = box[k];
      var x0 = (b[0] * scale - ox) * ratio, x1 = (b[2] * scale - ox) * ratio;
      var y0 = (b[1] * scale - oy) * ratio, y1 = (b[3] * scale - oy) * ratio;
      if (!(x1 >= 0 && x0 <= w && y1 >= 0 && y0 <= h)) continue;  // off the canvas or empty
      var top = Math.max(0, Math.ceil(y0 - 0.5) - 1), bottom = Math.min(h, Math.ceil(y1 - 0.5) + 1);
      if (top >= bottom) continue;
      var nr = bottom - top, count = scratch.count = grow(scratch.count, nr + 1);
      count.fill(0, 0, nr + 1);
      var m = 0;
      for (var q = 0; q < rings[k].length; q++) {
        for (var r = 0; r < rings[k][q].length; r++) {
          var refs = rings[k][q][r];
          for (var j = 0; j < refs.length; j++) {
            var arc = xy[refs[j] >= 0 ? refs[j] : -1 - refs[j]];
            var px = (arc[0] - ox) * ratio, py = (arc[1] - oy) * ratio;
            for (var v = 2; v < arc.length; v += 2) {
              var qx = (arc[v] - ox) * ratio, qy = (arc[v + 1] - oy) * ratio;
              var xa = px, ya = py, xb = qx, yb = qy;
              if (qy < py) { xa = qx; ya = qy; xb = px; yb = py; }
              px = qx; py = qy;
              var j0 = Math.max(top, Math.ceil(ya - 0.5)), j1 = Math.min(bottom, Math.ceil(yb - 0.5));
              if (j0 >= j1) continue;
              if (m + j1 - j0 > scratch.x.length) {
                scratch.x = grow(scratch.x, m + j1 - j0);
                scratch.row = grow(scratch.row, m + j1 - j0);
              }
              var slope = (xb - xa) / (yb - ya), xs = scratch.x, rows = scratch.row;
              for (var y = j0; y < j1; y++) {
                xs[m] = xa + (y + 0.5 - ya) * slope;
                rows[m++] = y - top;
                count[y - top + 1]++;
              }
            }
          }
        }
      }
      if (!m) continue;
      for (var c = 0; c < nr; c++) count[c + 1] += count[c];  // count[row]: where a row starts
      var sorted = scratch.sorted = grow(scratch.sorted, m), xs2 = scratch.x, rows2 = scratch.row;
      for (var t = 0; t < m; t++) sorted[count[rows2[t]]++] = xs2[t];
      // count[row] is now where the row ends (the next one's start)
      for (var row = 0, start = 0; row < nr; start = count[row++]) {
        var end = count[row];
        for (var s = start + 1; s < end; s++) {  // insertion sort: a row has few crossings
          var val = sorted[s], u = s - 1;
          while (u >= start && sorted[u] > val) { sorted[u + 1] = sorted[u]; u--; }
          sorted[u + 1] = val;
        }
        var base = (row + top) * w;
        for (var e = start; e + 1 < end; e += 2) {
          var from = Math.max(0, Math.ceil(sorted[e] - 0.5));
          var to = Math.min(w, Math.ceil(sorted[e + 1] - 0.5));
          if (from >= to) continue;
          ids.fill(k, base + from, base + to);
          if (!boxes) continue;
          var bk = 4 * k, y2 = row + top;
          if (boxes[bk] >= boxes[bk + 2]) {
            boxes[bk] = from; boxes[bk + 1] = y2; boxes[bk + 2] = to; boxes[bk + 3] = y2 + 1;
          } else {
            if (from < boxes[bk]) boxes[bk] = from;
            if (to > boxes[bk + 2]) boxes[bk + 2] = to;
            boxes[bk + 3] = y2 + 1;
          }
        }
      }
    }
    return ids;
  }

  // How much of a fill pattern's ink (see pattern) covers each pixel of a w x h canvas, 0-255:
  // the pattern anchored where the paths' fill anchors it, at layer point (0, 0); canvas pixel
  // (0, 0) is layer point (lx, ly), ``ratio`` canvas pixels a layer pixel.
  function inkCover(kind, w, h, ratio, lx, ly) {
    var out = new Uint8Array(w * h), turned = kind !== "dots", R = Math.SQRT1_2;
    function band(f, a, b) {  // inside distance of f (mod 8) to the band [a, b]
      var f2 = f - 8;
      return Math.max(Math.min(f - a, b - f), Math.min(f2 - a, b - f2));
    }
    for (var j = 0; j < h; j++) {
      var uy = ly + (j + 0.5) / ratio;
      for (var i = 0; i < w; i++) {
        var ux = lx + (i + 0.5) / ratio, tu = ux, tv = uy;
        if (turned) { tu = (ux + uy) * R; tv = (uy - ux) * R; }
        tu -= 8 * Math.floor(tu / 8); tv -= 8 * Math.floor(tv / 8);
        var d;
        if (kind === "dots") d = 1.8 - Math.sqrt((tu - 4) * (tu - 4) + (tv - 4) * (tv - 4));
        else {
          d = band(tu, 0, 1.25);
          if (kind === "cross") d = Math.max(d, band(tv, 2.75, 5.25));
        }
        var cov = d * ratio + 0.5;
        out[j * w + i] = cov <= 0 ? 0 : cov >= 1 ? 255 : Math.round(cov * 255);
      }
    }
    return out;
  }

  // "#rgb" / "#rrggbb" as [r, g, b]; other CSS colours through a canvas (needs a DOM).
  function rgbOf(colour) {
    var s = String(colour);
    if (/^#[0-9a-f]{3}$/i.test(s)) s = "#" + s[1] + s[1] + s[2] + s[2] + s[3] + s[3];
    if (!/^#[0-9a-f]{6}$/i.test(s) && typeof document !== "undefined") {
      var g = document.createElement("canvas").getContext("2d");
      g.fillStyle = s;
      s = g.fillStyle;
    }
    var hex = /^#([0-9a-f]{6})$/i.exec(s);
    if (!hex) return [0, 0, 0];
    var n = parseInt(hex[1], 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }

  var LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  function packRGBA(r, g, b, a) {
    return (LITTLE ? ((a << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | a)) >>> 0;
  }
  var KINDS = ["", "hatch", "cross", "dots", "stripes"];

  // The pixels of the areas (Uint32Array, RGBA as ImageData holds them) from the atom of each
  // pixel ``ids``: atom k in fillOf(cur[k]) (see paintAreas; fills given as a CanvasPattern
  // are not handled), a pattern's ink blended in as ``cover(kind)`` says (0-255 a pixel).
  function rasterPixels(out, ids, cur, fillOf, cover) {
    return fillPixels(out, ids, atomFills(cur, fillOf, cover));
  }
  // Every pixel of ``out`` from its atom in ``ids``, filled as ``f`` (atomFills) says.
  function fillPixels(out, ids, f) {
    for (var i = 0; i < ids.length; i++) out[i] = pixelOf(f, ids[i], i);
    return out;
  }
  // Per atom: its colour, pattern kind and ink, packed (see rasterPixels), and the pattern
  // covers used ({colour, ink, kindOf, covers}).
  // ``into``, if given: an earlier result no longer needed, whose arrays are written over
  // (a paint of 50,000 atoms made 450 kB of new arrays).
  function atomFills(cur, fillOf, cover, into) {
    var n = cur.length, reuse = into && into.colour.length === n;
    var colour = reuse ? into.colour : new Uint32Array(n), ink = reuse ? into.ink : new Uint32Array(n);
    var kindOf = reuse ? into.kindOf : new Uint8Array(n), memo = {}, covers = [null];
    for (var k = 0; k < n; k++) {
      var c = cur[k], hit = memo[c];
      if (!hit) {
        var f = fillOf(c), kind = f && f.colour && f.pattern ? KINDS.indexOf(f.pattern) : 0;
        var a = !f || !f.colour ? 0 : Math.round(255 * (f.alpha === undefined ? 1 : f.alpha));
        var rgb = a ? rgbOf(f.colour) : [0, 0, 0];
        var inkRgb = kind > 0 ? rgbOf(PATTERN_INK[f.pattern]) : rgb;
        hit = memo[c] = [a ? packRGBA(rgb[0], rgb[1], rgb[2], a) : 0, kind > 0 ? kind : 0,
          packRGBA(inkRgb[0], inkRgb[1], inkRgb[2], a)];
        if (hit[1] && !covers[hit[1]]) covers[hit[1]] = cover(KINDS[hit[1]]);
      }
      colour[k] = hit[0]; kindOf[k] = hit[1]; ink[k] = hit[2];
    }
    return {colour: colour, ink: ink, kindOf: kindOf, covers: covers};
  }
  // The pixel i of atom id (-1: none) filled as ``f`` (atomFills) says.
  function pixelOf(f, id, i) {
    if (id < 0) return 0;
    var kd = f.kindOf[id];
    if (!kd) return f.colour[id];
    var w = f.covers[kd][i];
    return w === 0 ? f.colour[id] : w === 255 ? f.ink[id] : mix(f.colour[id], f.ink[id], w);
  }
  // The atoms whose fill differs between two atomFills (``last`` null: all), and the box of
  // their boxes (rasterise; [x0, y0, x1, y1), empty: x0 >= x1). The list is a view of one
  // buffer, written over by the next call.
  var changedScratch = new Int32Array(0);
  function changedFills(last, f, boxes) {
    var n = 0, box = emptyBox();
    if (changedScratch.length < f.colour.length) changedScratch = new Int32Array(f.colour.length);
    for (var k = 0; k < f.colour.length; k++) {
      if (last && last.colour[k] === f.colour[k] && last.kindOf[k] === f.kindOf[k] &&
          last.ink[k] === f.ink[k]) continue;
      var b = 4 * k;
      if (boxes[b] >= boxes[b + 2]) continue;
      changedScratch[n++] = k;
      growBox(box, boxes[b], boxes[b + 1], boxes[b + 2], boxes[b + 3]);
    }
    return {list: changedScratch.subarray(0, n), box: box};
  }
  // Pixels ``out`` made again for the atoms ``list`` only, run by run (atomRuns).
  function repaintAtoms(out, runs, f, list) {
    var first = runs.first, start = runs.start, end = runs.end;
    for (var t = 0; t < list.length; t++) {
      var k = list[t], c = f.colour[k], patterned = f.kindOf[k] > 0;
      for (var r = first[k]; r < first[k + 1]; r++) {
        var i = start[r], e = end[r];
        if (patterned) for (; i < e; i++) out[i] = pixelOf(f, k, i);
        else for (; i < e; i++) out[i] = c;
      }
    }
    return out;
  }
  // The runs of pixels of one atom along the rows of an atom raster ``ids`` (w wide, atoms
  // 0..n-1), grouped by atom: atom k's runs are r = first[k] .. first[k + 1] - 1, pixels
  // start[r] .. end[r] - 1 (a few per atom and row: a step repaints an atom without looking
  // at the pixels of its box that are another's).
  function atomRuns(ids, w, n) {
    var first = new Int32Array(n + 1), len = ids.length, p, a;
    for (p = 0; p < len; p++) {
      a = ids[p];
      if (a >= 0 && (p % w === 0 || ids[p - 1] !== a)) first[a + 1]++;
    }
    for (a = 0; a < n; a++) first[a + 1] += first[a];
    var at = first.slice(0, n), start = new Int32Array(first[n]), end = new Int32Array(first[n]);
    for (p = 0; p < len; p++) {
      a = ids[p];
      if (a < 0 || (p % w !== 0 && ids[p - 1] === a)) continue;
      var e = p + 1;
      while (e % w !== 0 && ids[e] === a) e++;
      start[at[a]] = p; end[at[a]++] = e;
    }
    return {first: first, start: start, end: end};
  }
  function emptyBox() { return [Infinity, Infinity, -Infinity, -Infinity]; }
  // ``box`` grown to hold [x0, y0, x1, y1).
  function growBox(box, x0, y0, x1, y1) {
    if (x0 < box[0]) box[0] = x0;
    if (y0 < box[1]) box[1] = y0;
    if (x1 > box[2]) box[2] = x1;
    if (y1 > box[3]) box[3] = y1;
    return box;
  }
  // ``box`` grown to hold the rectangles ``rects`` ([x0, y0, x1, y1, ...]).
  function growBoxRects(box, rects) {
    for (var i = 0; i < rects.length; i += 4) growBox(box, rects[i], rects[i + 1], rects[i + 2], rects[i + 3]);
    return box;
  }
  // Put the pixels ``img`` on the canvas of ``ctx`` where they may have changed: all of them
  // when ``rects`` is null (the canvas was cleared whole), else within the box of ``box`` and
  // of ``rects`` (the rectangles cleared, [x0, y0, x1, y1, ...], canvas pixels). A step at
  // 50,000 atoms changes a few percent of the canvas.
  function putDirty(ctx, img, rects, box) {
    if (!rects) { ctx.putImageData(img, 0, 0); return; }
    var b = growBoxRects([box[0], box[1], box[2], box[3]], rects);
    var x0 = Math.max(0, b[0]), y0 = Math.max(0, b[1]);
    var x1 = Math.min(img.width, b[2]), y1 = Math.min(img.height, b[3]);
    if (x0 < x1 && y0 < y1) ctx.putImageData(img, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }
  // Two packed colours of the same alpha, blended channel by channel: w/255 of b.
  function mix(a, b, w) {
    var out = 0;
    for (var sh = 0; sh < 32; sh += 8) {
      var x = (a >>> sh) & 255, y = (b >>> sh) & 255;
      out |= (Math.round(x + (y - x) * w / 255) & 255) << sh;
    }
    return out >>> 0;
  }

  // Paint the areas onto the canvas from a raster of atom ids, made again when the view
  // (``view.pixels``: the canvas's size, its layer-point origin and device pixel ratio)
  // changes, kept on ``geom`` otherwise.
  function rasterOf(ctx, geom, view) {
    var px = view.pixels, w = px.width, h = px.height;
    var key = [view.scale, view.ox + px.x, view.oy + px.y, px.ratio, w, h].join(",");
    var st = geom.raster;
    if (!st || st.key !== key) {
      var xy = scaled(geom, view.scale);
      var boxes = new Int32Array(4 * geom.rings.length);
      st = geom.raster = {key: key, covers: {}, img: ctx.createImageData(w, h), fronts: null,
        ids: rasterise(geom, xy, view.scale, view.ox + px.x, view.oy + px.y, px.ratio, w, h,
          boxes), boxes: boxes, last: null};
    }
    return st;
  }
  function paintRaster(ctx, geom, cur, fillOf, view) {
    var px = view.pixels, w = px.width, h = px.height, st = rasterOf(ctx, geom, view);
    // two sets of fills kept, this paint's and the last one's, each written over in turn
    var f = atomFills(cur, fillOf, function (kind) {
      return st.covers[kind] || (st.covers[kind] = inkCover(kind, w, h, px.ratio, px.x, px.y));
    }, st.spare);
    var out = new Uint32Array(st.img.data.buffer), moved = changedFills(st.last, f, st.boxes);
    // only the atoms whose fill changed (every atom at the view's first paint), run by run
    var runs = st.runs || (st.runs = atomRuns(st.ids, w, geom.rings.length));
    var whole = !st.last;
    if (whole) out.fill(0);
    repaintAtoms(out, runs, f, moved.list);
    st.spare = st.last;
    st.last = f;
    putDirty(ctx, st.img, whole ? null : px.rects, moved.box);
  }

  // The fronts from an atom raster (see rasterise): each two pixels side by side or one above
  // the other whose atoms' holders a and b are shown(a, b) are both in ``rgba`` (a line about
  // two pixels wide on the border), the others clear.
  function frontPixels(out, ids, w, h, cur, shown, rgba, pairs) {
    out.fill(0);
    if (!pairs) return frontRect(out, ids, w, h, cur, shown, rgba, 0, 0, w, h);
    // the same from the pairs of different atoms listed once per view (edgePairs): a few
    // percent of the pixels at 2,000 atoms, where the whole canvas was walked
    for (var s = 0; s < 2; s++) {
      var list = s ? pairs.down : pairs.right, d = s ? w : 1;
      for (var i = 0; i < list.length; i++) {
        var p = list[i];
        if (shown(cur[ids[p]], cur[ids[p + d]])) out[p] = out[p + d] = rgba;
      }
    }
    return out;
  }
  // The pixels p of an atom raster ``ids`` (w wide) whose neighbour on the right (``right``)
  // or below (``down``) is of another atom, both pixels in atoms (Int32Arrays).
  function edgePairs(ids, w) {
    var right = [], down = [], n = ids.length;
    for (var p = 0; p < n; p++) {
      var a = ids[p];
      if (a < 0) continue;
      if ((p + 1) % w && ids[p + 1] !== a && ids[p + 1] >= 0) right.push(p);
      if (p + w < n && ids[p + w] !== a && ids[p + w] >= 0) down.push(p);
    }
    return {right: Int32Array.from(right), down: Int32Array.from(down)};
  }
  // The pairs of frontPixels whose first pixel is in [x0, x1) x [y0, y1), marked (no clearing).
  function frontRect(out, ids, w, h, cur, shown, rgba, x0, y0, x1, y1) {
    for (var j = y0; j < y1; j++) {
      for (var i = x0, p = j * w + x0; i < x1; i++, p++) {
        var a = ids[p];
        if (i + 1 < w && ids[p + 1] !== a && frontBetween(cur, shown, a, ids[p + 1])) {
          out[p] = out[p + 1] = rgba;
        }
        if (j + 1 < h && ids[p + w] !== a && frontBetween(cur, shown, a, ids[p + w])) {
          out[p] = out[p + w] = rgba;
        }
      }
    }
    return out;
  }
  // frontPixels made again around the atoms ``list`` only, whose holders changed: the pixels
  // of each atom's box grown by one cleared, then every pair touching them marked again.
  function frontAtoms(out, ids, w, h, cur, shown, rgba, list, boxes) {
    for (var t = 0; t < list.length; t++) {
      var b = 4 * list[t];
      if (boxes[b] >= boxes[b + 2]) continue;
      var x0 = Math.max(0, boxes[b] - 1), x1 = Math.min(w, boxes[b + 2] + 1);
      var y0 = Math.max(0, boxes[b + 1] - 1), y1 = Math.min(h, boxes[b + 3] + 1);
      for (var y = y0; y < y1; y++) out.fill(0, y * w + x0, y * w + x1);
      frontRect(out, ids, w, h, cur, shown, rgba, Math.max(0, x0 - 1), Math.max(0, y0 - 1), x1, y1);
    }
    return out;
  }
  function frontBetween(cur, shown, a, b) {
    return a >= 0 && b >= 0 && shown(cur[a], cur[b]);
  }

  // Paint the fronts from the atom raster when the canvas asks for it (Layer option raster
  // "fronts") and the atoms are many; false otherwise (paintFronts then). Drawn over what
  // the canvas holds already (the comparison's hatch).
  function paintFrontRaster(ctx, geom, cur, shown, view, colour) {
    if (!view.pixels || view.pixels.role !== "fronts" || !rasterAt(geom, cur, view)) return false;
    var px = view.pixels, w = px.width, h = px.height, st = rasterOf(ctx, geom, view);
    var f = st.fronts;
    if (!f) {
      var c = document.createElement("canvas");
      c.width = w; c.height = h;
      f = st.fronts = {canvas: c, ctx: c.getContext("2d"), img: ctx.createImageData(w, h),
        last: null, rgba: 0};
    }
    var rgb = rgbOf(colour), rgba = packRGBA(rgb[0], rgb[1], rgb[2], Math.round(0.9 * 255));
    var out = new Uint32Array(f.img.data.buffer), area = 0, nl = 0;
    var box = emptyBox(), bx = st.boxes;
    // the atoms whose holder changed since the last paint, in a list kept (no garbage a step)
    var list = f.list || (f.list = new Int32Array(cur.length));
    for (var k = 0; f.last && k < cur.length; k++) {
      if (f.last[k] === cur[k]) continue;
      var b = 4 * k, bw = bx[b + 2] - bx[b], bh = bx[b + 3] - bx[b + 1];
      if (bw <= 0) continue;
      list[nl++] = k;
      area += (bw + 3) * (bh + 3);  // the pixels frontAtoms looks at
      growBox(box, bx[b] - 2, bx[b + 1] - 2, bx[b + 2] + 2, bx[b + 3] + 2);
    }
    var some = f.last && f.rgba === rgba && area < w * h / 8;
    if (some) frontAtoms(out, st.ids, w, h, cur, shown, rgba, list.subarray(0, nl), bx);
    else frontPixels(out, st.ids, w, h, cur, shown, rgba, st.pairs || (st.pairs = edgePairs(st.ids, w)));
    if (!f.last) f.last = new Int32Array(cur.length);
    f.last.set(cur);
    f.rgba = rgba;
    putDirty(f.ctx, f.img, some ? [] : null, box);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    // the canvas cleared in px.rects only (null: whole): the fronts drawn there
    var c = px.rects ? growBoxRects(emptyBox(), px.rects) : [0, 0, w, h];
    if (c[0] < c[2] && c[1] < c[3]) {
      ctx.drawImage(f.canvas, c[0], c[1], c[2] - c[0], c[3] - c[1], c[0], c[1], c[2] - c[0], c[3] - c[1]);
    }
    ctx.restore();
    return true;
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

  // The given fronts as lines of canvas points, one per chain (frontChains), the shared points
  // not repeated: {xy: [x, y, ...] of every line, start: line j is points start[j] to
  // start[j + 1] - 1, closed: line j ends where it starts}.
  var lineScratch = new Float64Array(4096);
  function frontLines(geom, fronts, list, view) {
    var xy = scaled(geom, view.scale), chains = frontChains(geom, fronts, list);
    var ox = view.ox, oy = view.oy, total = 0, c, k;
    for (c = 0; c < chains.length; c++) {
      for (k = 0; k < chains[c].length; k++) total += xy[chains[c][k][0]].length;
    }
    if (lineScratch.length < total) lineScratch = new Float64Array(2 * total);
    var out = lineScratch, start = new Int32Array(chains.length + 1);
    var closed = new Uint8Array(chains.length), at = 0;
    for (c = 0; c < chains.length; c++) {
      var chain = chains[c], first = at;
      start[c] = at / 2;
      for (k = 0; k < chain.length; k++) {
        var arc = xy[chain[k][0]], m = arc.length;
        if (chain[k][1]) {
          for (var v = k ? 2 : 0; v < m; v += 2) { out[at++] = arc[v] - ox; out[at++] = arc[v + 1] - oy; }
        } else {
          for (var w = m - (k ? 4 : 2); w >= 0; w -= 2) {
            out[at++] = arc[w] - ox; out[at++] = arc[w + 1] - oy;
          }
        }
      }
      closed[c] = at - first > 4 && out[first] === out[at - 2] && out[first + 1] === out[at - 1] ? 1 : 0;
    }
    start[chains.length] = at / 2;
    return {xy: out, start: start, closed: closed};
  }

  // Per point of the line of points ``i0`` to ``i1 - 1`` of ``pts`` ([x, y, ...]), the shift of
  // a line drawn ``1`` to its left, written in ``nx``, ``ny`` (from index 0): the normal of its
  // segment at the ends, the mitre of the two segments between (as long as needed for the two
  // offset segments to meet, at most MITRE times the distance). Repeated points take their
  // neighbour's. At a line's ends, (ny, -nx) is the direction it runs in. ``closed``: it ends
  // where it starts. ``sx``, ``sy``: scratch, as long as the line.
  var MITRE = 2;
  function offsets(pts, i0, i1, closed, nx, ny, sx, sy) {
    var n = i1 - i0, last = -1, i;
    for (i = 0; i < n - 1; i++) {  // unit normal of segment i -> i + 1
      var o = 2 * (i0 + i), dx = pts[o + 2] - pts[o], dy = pts[o + 3] - pts[o + 1];
      var len = Math.sqrt(dx * dx + dy * dy);
      if (len > 0) { sx[i] = -dy / len; sy[i] = dx / len; last = i; }
      else if (last >= 0) { sx[i] = sx[last]; sy[i] = sy[last]; }
      else { sx[i] = sy[i] = 0; }
    }
    for (var f = 0; f < n - 1 && !sx[f] && !sy[f]; f++);  // leading repeats: the first normal
    for (i = 0; i < f && f < n - 1; i++) { sx[i] = sx[f]; sy[i] = sy[f]; }
    for (var j = 0; j < n; j++) {
      var a = j > 0 ? j - 1 : (closed ? n - 2 : -1), b = j < n - 1 ? j : (closed ? 0 : -1);
      if (a < 0) a = b;
      if (b < 0) b = a;
      var mx = sx[a] + sx[b], my = sy[a] + sy[b], ml = Math.sqrt(mx * mx + my * my);
      if (ml < 1e-9) { nx[j] = sx[a]; ny[j] = sy[a]; continue; }
      // the unit mitre (mx, my) / ml, lengthened by 1 / cos(half the turn) = ml / cos
      var cos = mx * sx[a] + my * sy[a], k = 1 / Math.max(cos, ml / MITRE);
      nx[j] = mx * k; ny[j] = my * k;
    }
  }

  // A line ``weight`` CSS pixels wide drawn as this many hairlines side by side (one device
  // pixel each, at most HAIR_GAP device pixels apart): in a canvas without a GPU, a wide
  // stroke is filled as a polygon of many pieces, and the fronts of a map of 2,000 places took
  // 14 ms a frame that way against 3-4 ms as hairlines. More than MAX_HAIRS: the stroke.
  var HAIR_GAP = 0.85, MAX_HAIRS = 5;
  function hairs(weight, ratio) {
    return Math.max(2, Math.ceil((weight * ratio - 1) / HAIR_GAP) + 1);
  }

  // The fronts of ``list`` that can paint within view.clip (all of them without it): those
  // whose arc's box, widened by ``pad`` pixels, meets one of its boxes, and every front that
  // meets one of those at a node. A front's hairlines at a node follow the fronts meeting
  // there (chains, mitres), so keeping them keeps every line through the boxes as drawn
  // whole; the fronts kept for that alone lie beyond the boxes.
  function cullFronts(geom, fronts, list, view, pad) {
    var clip = view.clip;
    if (!clip) return list;
    var xy = scaled(geom, view.scale), node = geom.node, keep = [], near = [], marked = {};
    for (var i = 0; i < list.length; i++) {
      var arc = fronts.arc[list[i]], pts = xy[arc];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var v = 0; v < pts.length; v += 2) {
        if (pts[v] < x0) x0 = pts[v];
        if (pts[v] > x1) x1 = pts[v];
        if (pts[v + 1] < y0) y0 = pts[v + 1];
        if (pts[v + 1] > y1) y1 = pts[v + 1];
      }
      var meets = false;
      for (var k = 0; k < clip.length && !meets; k += 4) {
        meets = x1 + pad >= clip[k] && x0 - pad <= clip[k + 2] && y1 + pad >= clip[k + 1] &&
          y0 - pad <= clip[k + 3];
      }
      if (meets) {
        keep.push(list[i]);
        marked[node[2 * arc]] = marked[node[2 * arc + 1]] = true;
      } else near.push(list[i]);
    }
    for (var j = 0; j < near.length; j++) {
      var a = fronts.arc[near[j]];
      if (marked[node[2 * a]] || marked[node[2 * a + 1]]) keep.push(near[j]);
    }
    return keep.sort(function (p, q) { return p - q; });
  }

  // Stroke the given fronts, ``weight`` CSS pixels wide with round ends and joins, as chains
  // through nodes where exactly two fronts meet (a join, not two caps). Drawn as hairlines
  // side by side (few enough of them: MAX_HAIRS), or as one round-joined stroke.
  function paintFronts(ctx, geom, fronts, list, view, colour, weight) {
    var lines = frontLines(geom, fronts, list, view), pts = lines.xy, start = lines.start;
    var count = start.length - 1, c, i;
    var ratio = ctx.getTransform ? Math.abs(ctx.getTransform().a) || 1 : 1;
    var n = hairs(weight, ratio);
    ctx.strokeStyle = colour;
    ctx.beginPath();
    if (n > MAX_HAIRS) {
      for (c = 0; c < count; c++) {
        ctx.moveTo(pts[2 * start[c]], pts[2 * start[c] + 1]);
        for (i = start[c] + 1; i < start[c + 1]; i++) ctx.lineTo(pts[2 * i], pts[2 * i + 1]);
      }
      ctx.lineJoin = ctx.lineCap = "round";
      ctx.lineWidth = weight;
      ctx.globalAlpha = 0.9;
      ctx.stroke();
      ctx.globalAlpha = 1;
      return;
    }
    // Hairlines from -half to +half: the outermost ones' own pixel makes the full width.
    var half = (weight - 1 / ratio) / 2, shift = [];
    for (var h = 0; h < n; h++) shift.push(-half + 2 * half * h / (n - 1));
    // Open chains run on by half the width at both ends: where three fronts meet, their ends
    // overlap and leave no notch (drawing a round end there instead cost more than the lines).
    var e = weight / 2 - 1 / (2 * ratio), most = 0;
    for (c = 0; c < count; c++) most = Math.max(most, start[c + 1] - start[c]);
    var nx = new Float64Array(most), ny = new Float64Array(most);
    var sx = new Float64Array(most), sy = new Float64Array(most);
    for (c = 0; c < count; c++) {
      var i0 = start[c], last = start[c + 1] - i0 - 1, on = lines.closed[c] ? 0 : e;
      offsets(pts, i0, start[c + 1], lines.closed[c], nx, ny, sx, sy);
      var x0 = pts[2 * i0], y0 = pts[2 * i0 + 1];
      var xl = pts[2 * (i0 + last)], yl = pts[2 * (i0 + last) + 1];
      for (var s = 0; s < n; s++) {
        var t = shift[s];
        ctx.moveTo(x0 + t * nx[0] - on * ny[0], y0 + t * ny[0] + on * nx[0]);
        for (i = 1; i < last; i++) {
          ctx.lineTo(pts[2 * (i0 + i)] + t * nx[i], pts[2 * (i0 + i) + 1] + t * ny[i]);
        }
        ctx.lineTo(xl + t * nx[last] + on * ny[last], yl + t * ny[last] - on * nx[last]);
      }
    }
    ctx.lineWidth = 1 / ratio;
    ctx.lineJoin = "miter";
    ctx.lineCap = "butt";
    ctx.stroke();
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

  // Past this many boxes to repaint, a canvas layer repaints whole.
  var MAX_BOXES = 64;
  // Rectangles [x0, y0, x1, y1] with those that overlap (or touch) replaced by their box,
  // until none do.
  function mergeRects(rects) {
    var out = rects.slice(), again = true;
    while (again) {
      again = false;
      for (var i = 0; i < out.length && !again; i++) {
        for (var j = i + 1; j < out.length; j++) {
          var a = out[i], b = out[j];
          if (a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]) {
            out[i] = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]),
              Math.max(a[3], b[3])];
            out.splice(j, 1);
            again = true;
            break;
          }
        }
      }
    }
    return out;
  }

  // A Leaflet canvas renderer with no paths of its own: it paints the whole canvas through
  // ``options.paint(ctx, view)`` when the map moves or refresh() is called (one frame later),
  // or only the boxes given to refreshBoxes (clipped to them: what a whole repaint would paint
  // there). options.later(): true while the page starts (the map moves and the date is set
  // before its first frame): paint once, in that frame, not on every move before it.
  // ``view.memo``: an object kept while the view stays (painters keep choices in it).
  var Layer = typeof L === "undefined" ? null : L.Canvas.extend({
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      this._memo = {};
      this._whole = true;
      if (this.options.later && this.options.later()) { this.refresh(); return; }
      this._redraw();
    },
    _redraw: function () {
      if (this._redrawRequest) L.Util.cancelAnimFrame(this._redrawRequest);
      this._redrawRequest = null;
      var c = this._container, ctx = this._ctx;
      if (!this._map || !this._bounds || !c) return;
      var rects = this._whole ? null : this._clipRects(this._boxes);
      this._whole = false;
      this._boxes = null;
      this._clip = rects;
      var t = ctx.getTransform();
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      if (rects) {
        ctx.beginPath();
        for (var i = 0; i < rects.length; i += 4) {
          ctx.clearRect(rects[i], rects[i + 1], rects[i + 2] - rects[i], rects[i + 3] - rects[i + 1]);
          ctx.rect(rects[i], rects[i + 1], rects[i + 2] - rects[i], rects[i + 3] - rects[i + 1]);
        }
        ctx.clip();
      } else {
        ctx.clearRect(0, 0, c.width, c.height);
      }
      ctx.setTransform(t);
      this._draw();
      ctx.restore();
      this._clip = null;
    },
    // The boxes (zoom-0 pixels, [x0, y0, x1, y1] each) as canvas pixels, widened by
    // options.pad CSS pixels (what is drawn about an atom's edge: 1 for the areas' anti-aliased
    // edges, more for fronts drawn along them) and two device pixels, cut to the canvas,
    // overlapping ones merged; null: paint it whole (no boxes, over MAX_BOXES, or over half
    // of the canvas).
    _clipRects: function (boxes) {
      if (!boxes || !boxes.length || boxes.length > MAX_BOXES) return null;
      var map = this._map, c = this._container, b = this._bounds;
      var m = c.width / Math.max(1, b.max.x - b.min.x), scale = Math.pow(2, map.getZoom());
      var o = map.getPixelOrigin(), ox = o.x + b.min.x, oy = o.y + b.min.y, rects = [];
      var pad = (this.options.pad || 0) * m + 2;
      for (var i = 0; i < boxes.length; i++) {
        var q = boxes[i];
        var x0 = Math.max(0, Math.floor((q[0] * scale - ox) * m - pad));
        var y0 = Math.max(0, Math.floor((q[1] * scale - oy) * m - pad));
        var x1 = Math.min(c.width, Math.ceil((q[2] * scale - ox) * m + pad));
        var y1 = Math.min(c.height, Math.ceil((q[3] * scale - oy) * m + pad));
        if (x0 < x1 && y0 < y1) rects.push([x0, y0, x1, y1]);
      }
      var merged = mergeRects(rects), area = 0, out = [];
      for (var j = 0; j < merged.length; j++) {
        var r = merged[j];
        area += (r[2] - r[0]) * (r[3] - r[1]);
        out.push(r[0], r[1], r[2], r[3]);
      }
      return area * 2 > c.width * c.height ? null : out;
    },
    _draw: function () {
      var map = this._map, b = this._bounds;
      if (!map || !b) return;
      var z = map.getZoom(), scale = Math.pow(2, z), origin = map.getPixelOrigin();
      // Canvas coordinates are layer points (Leaflet translated the context by -b.min).
      var view = {scale: scale, ox: origin.x, oy: origin.y,
        memo: this._memo || (this._memo = {})};
      // options.raster ("areas", "fronts"): the canvas's pixels may be painted from an atom
      // raster (paintAreas, paintFrontRaster)
      var c = this._container, ratio = c.width / Math.max(1, b.max.x - b.min.x);
      if (this.options.raster) {
        // rects: where the canvas was cleared for this paint (see _redraw; null: all of it)
        view.pixels = {role: this.options.raster, width: c.width, height: c.height,
          x: b.min.x, y: b.min.y, ratio: ratio, rects: this._clip};
      }
      // view.clip: the canvas is painted only within these boxes ([x0, y0, x1, y1, ...], in
      // the view's scaled pixels, as ``scaled``'s arcs): a painter may leave out what lies
      // wholly outside them
      if (this._clip) {
        var r = this._clip, w = [];
        for (var i = 0; i < r.length; i++) {
          w.push(r[i] / ratio + (i % 2 ? b.min.y + origin.y : b.min.x + origin.x));
        }
        view.clip = w;
      }
      this.options.paint(this._ctx, view);
    },
    refresh: function () {
      if (!this._map) return;
      this._whole = true;
      this._redrawRequest = this._redrawRequest || L.Util.requestAnimFrame(this._redraw, this);
    },
    // Repaint, with the next refresh, only what lies in ``boxes`` ([x0, y0, x1, y1] in zoom-0
    // pixels; null: all of it); boxes asked for before that add up.
    refreshBoxes: function (boxes) {
      if (!this._map) return;
      if (!boxes) this._whole = true;
      if (!this._whole) {
        this._boxes = this._boxes || [];
        for (var i = 0; i < boxes.length; i++) this._boxes.push(boxes[i]);
      }
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

  M.ground = {TOLERANCE: TOLERANCE, RASTER_ATOMS: RASTER_ATOMS, RASTER_VERTICES: RASTER_VERTICES,
    rasterAt: rasterAt, rasterise: rasterise,
    inkCover: inkCover, rasterPixels: rasterPixels, frontPixels: frontPixels, edgePairs: edgePairs,
    frontAtoms: frontAtoms, atomFills: atomFills, changedFills: changedFills,
    repaintAtoms: repaintAtoms, atomRuns: atomRuns,
    paintFrontRaster: paintFrontRaster, rgbOf: rgbOf, packRGBA: packRGBA,
    mercator: mercator, geometry: geometry, scaled: scaled,
    traceRings: traceRings, borders: borders, outline: outline, paintAreas: paintAreas, shownFronts: shownFronts,
    frontChains: frontChains, frontLines: frontLines, offsets: offsets, hairs: hairs,
    paintFronts: paintFronts, pattern: pattern, atomAt: atomAt, compare: compare, MAX_BOXES: MAX_BOXES,
    mergeRects: mergeRects, cullFronts: cullFronts, Layer: Layer};
})(window.__mapper || (window.__mapper = {}));
