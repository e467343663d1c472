/*
 * mapper browser code, module canvas: PatchCanvas, the Leaflet canvas renderer of maps with
 * many places (needs Leaflet, L).
 *
 * It repaints only the small rectangles around the paths that changed, one after the other,
 * instead of their union (which, for changes spread over the map, is the whole map). The paths
 * of a rectangle are found through a grid of GRID-pixel buckets built at each full repaint,
 * not by walking every path. Past MAX_PATCHES rectangles it falls back to one full repaint.
 * Paths with neither stroke nor fill are skipped. Place markers are stamped from images of
 * their look (_drawSprite).
 *
 * QuietSVG, the SVG renderer of the other maps, writes a path's attributes only when their
 * value changes.
 */
(function (M) {
  "use strict";
  var U = M.util, mergePatches = U.mergePatches;

  // A whole repaint of at least STAMP_FROM markers (and nothing else) writes their pixels
  // itself and puts them on the canvas at once (_draw); smaller maps are drawn as Leaflet does.
  // (At 2,000 places, 2,000 drawImage calls cost ~3.5 ms to record and ~4.5 ms to raster a
  // jump; their stamping ~1 ms and putting ~0.6 ms.)
  // Buckets of GRID pixels: at 50,000 places, 32-pixel ones held hundreds of markers each,
  // most of a step's time went to testing them against the patches.
  var MAX_PATCHES = 120, GRID = 12, MAX_GRID_AREA = 4096 * 32 * 32, STAMP_FROM = 1000;
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
      this._full = true;
      this._gridMoved = true;  // the map moved: every box with it
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
    _bringToFront: function (layer) {
      L.Canvas.prototype._bringToFront.call(this, layer);
      // the drawing order changed: repaint all, and build the grid again
      this._full = this._gridMoved = true;
      this._patches = this._patchKeys = null;
    },
    _bringToBack: function (layer) {
      L.Canvas.prototype._bringToBack.call(this, layer);
      this._full = this._gridMoved = true;
      this._patches = this._patchKeys = null;
    },
    _updateCircle: function (layer) {
      if (!this._tsMakeOnly) L.Canvas.prototype._updateCircle.call(this, layer);
    },
    _updatePoly: function (layer, closed) {
      if (this._tsMakeOnly || (!layer.options.stroke && !layer.options.fill)) return;
      L.Canvas.prototype._updatePoly.call(this, layer, closed);
    },
    // Put a path in the buckets its box (a few pixels wider, for stroke changes) meets; a
    // path appended to the drawing list (``last``) is drawn after every other one. Buckets
    // are numbered row by row over the canvas (boxes past its edges: in the edge buckets).
    _gridAdd: function (layer, last) {
      var g = this._grid;
      if (!g) return;
      var b = layer._pxBounds;
      if (!b) { this._grid = null; return; }
      if (last || layer._tsOrder === undefined) layer._tsOrder = ++this._gridOrder;
      // A path over thousands of buckets (a world-wide line): no index, full repaints.
      if ((b.max.x - b.min.x + 8) * (b.max.y - b.min.y + 8) > MAX_GRID_AREA) {
        this._grid = null;
        return;
      }
      var id = this._gridId(layer);
      this._gridBox(layer);
      var o = this._bounds.min, cols = this._gridCols, rows = g.length / cols;
      var x1 = Math.max(0, Math.floor((b.min.x - o.x - 4) / GRID));
      var x2 = Math.min(cols - 1, Math.floor((b.max.x - o.x + 4) / GRID));
      var y1 = Math.max(0, Math.floor((b.min.y - o.y - 4) / GRID));
      var y2 = Math.min(rows - 1, Math.floor((b.max.y - o.y + 4) / GRID));
      var box = x1 + ":" + x2 + ":" + y1 + ":" + y2 + ":" + this._gridGen;
      if (!last && layer._tsBox === box) return;
      layer._tsBox = box;
      for (var y = y1; y <= y2; y++) {
        for (var x = x1; x <= x2; x++) {
          var k = y * cols + x;
          (g[k] || (g[k] = [])).push(id);
        }
      }
    },
    // The buckets hold numbers, and each path's box and query mark are kept in typed arrays
    // under its number: a patch tests hundreds of paths, and reading each one's box from
    // its objects (scattered over memory) cost ~200 ns a path at 50,000 places.
    _gridId: function (layer) {
      if (layer._tsIdxGen === this._gridGen) return layer._tsIdx;
      var id = this._gridN++;
      layer._tsIdx = id;
      layer._tsIdxGen = this._gridGen;
      if (4 * id >= this._gridBoxes.length) {
        var boxes = new Float64Array(2 * this._gridBoxes.length + 64);
        boxes.set(this._gridBoxes);
        this._gridBoxes = boxes;
        var seen = new Int32Array(boxes.length / 4);
        seen.set(this._gridSeen);
        this._gridSeen = seen;
      }
      this._gridPaths[id] = layer;
      return id;
    },
    // Keep a path's box in the grid's arrays (setStyle calls it when it moves a box itself).
    _gridBox: function (layer) {
      if (!this._grid || layer._tsIdxGen !== this._gridGen) return;
      var b = layer._pxBounds, k = 4 * layer._tsIdx, a = this._gridBoxes;
      a[k] = b.min.x; a[k + 1] = b.min.y; a[k + 2] = b.max.x; a[k + 3] = b.max.y;
    },
    _buildGrid: function () {
      var size = this._bounds.getSize(), n = 0, o;
      for (o = this._drawFirst; o; o = o.next) n++;
      this._gridCols = Math.ceil(size.x / GRID) + 1;
      this._grid = new Array(this._gridCols * (Math.ceil(size.y / GRID) + 1));
      this._gridOrder = 0;
      this._gridGen = (this._gridGen || 0) + 1;
      this._gridN = 0;
      this._gridPaths = [];
      this._gridBoxes = new Float64Array(4 * n + 64);
      this._gridSeen = new Int32Array(n + 16);
      this._query = 0;
      for (o = this._drawFirst; o && this._grid; o = o.next) this._gridAdd(o.layer, true);
    },
    // The paths whose boxes meet ``bounds``, in drawing order (from the grid).
    _patchLayers: function (bounds) {
      var g = this._grid, seen = this._query = (this._query || 0) + 1, list = [];
      var lo = bounds.min, hi = bounds.max, lx = lo.x, ly = lo.y, hx = hi.x, hy = hi.y;
      var marks = this._gridSeen, boxes = this._gridBoxes, paths = this._gridPaths;
      var o = this._bounds.min, cols = this._gridCols, rows = g.length / cols;
      var x1 = Math.max(0, Math.floor((lx - o.x) / GRID));
      var x2 = Math.min(cols - 1, Math.floor((hx - o.x) / GRID));
      var y1 = Math.max(0, Math.floor((ly - o.y) / GRID));
      var y2 = Math.min(rows - 1, Math.floor((hy - o.y) / GRID));
      for (var y = y1; y <= y2; y++) {
        for (var x = x1; x <= x2; x++) {
          var cell = g[y * cols + x];
          if (!cell) continue;
          for (var i = 0; i < cell.length; i++) {
            var id = cell[i];
            if (marks[id] === seen) continue;
            marks[id] = seen;
            var k = 4 * id;
            if (boxes[k + 2] >= lx && boxes[k] <= hx && boxes[k + 3] >= ly && boxes[k + 1] <= hy) {
              var layer = paths[id];
              if (layer._order && layer._pxBounds) list.push(layer);
            }
          }
        }
      }
      list.sort(function (a, b) { return a._tsOrder - b._tsOrder; });
      return list;
    },
    _drawPatch: function (bounds) {
      var list = this._patchLayers(bounds);
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
    // A place marker, stamped from a small image of its look instead of filled and stroked
    // as a path: the same pixels (up to the rounding of see-through edges) in less drawing
    // time (a jump repaints thousands of markers). Leaflet puts markers on whole pixels, so
    // one image a look does. ``trace(ctx)`` adds the marker's outline around (0, 0), in CSS
    // pixels.
    _drawSprite: function (layer, trace) {
      var o = layer.options, m = L.Browser.retina ? 2 : 1, b = this._bounds;
      var x = Math.round(m * (layer._point.x - b.min.x)), y = Math.round(m * (layer._point.y - b.min.y));
      var half = Math.ceil(m * (1.6 * layer._radius + (o.weight || 0)) + 2);
      // The look's key is kept on the marker until its style or radius changes; a style that
      // names its look (styles.markerStyle: ``look``) is keyed by that name, not by every
      // option (a jump restyles thousands of markers).
      layer._tsSprite = true;
      var sprites = this._sprites || (this._sprites = {}), key = this._lookKey(layer, m);
      var s = sprites[key];
      if (!s) {
        s = sprites[key] = document.createElement("canvas");
        s.width = s.height = 2 * half + 1;
        var g = s.getContext("2d");
        g.setTransform(m, 0, 0, m, half, half);
        g.beginPath();
        trace(g);
        this._fillStroke(g, layer);
        // Its pixels, for the whole repaints of many markers (_draw).
        var pixels = this._spritePixels || (this._spritePixels = {});
        try {
          pixels[key] = U.spritePixels(g.getImageData(0, 0, s.width, s.height).data, s.width);
          pixels[key].half = half;
        } catch (e) { pixels[key] = null; }
        // Stamped from an ImageBitmap once there is one: a canvas is copied on every stamp.
        if (window.createImageBitmap) {
          createImageBitmap(s).then(function (bitmap) { sprites[key] = bitmap; }, L.Util.falseFn);
        }
      }
      if (this._tsMakeOnly) return;
      this._ctx.drawImage(s, (x - half) / m + b.min.x, (y - half) / m + b.min.y, s.width / m,
        s.height / m);
    },
    _lookKey: function (layer, m) {
      var o = layer.options;
      if (!layer._tsLook || layer._tsLookR !== layer._radius) {
        layer._tsLookR = layer._radius;
        layer._tsLook = o.look !== undefined ? o.look + "|" + layer._radius + "|" + m :
          [o.shape, layer._radius, o.fill, o.fillColor, o.fillOpacity, o.fillRule,
            o.stroke, o.color, o.weight, o.opacity, o.dashArray, o.lineCap, o.lineJoin, m].join();
      }
      return layer._tsLook;
    },
    // A whole repaint of many markers lays their images' pixels in an ImageData, then puts
    // it on the canvas (thousands of drawImage calls took most of a jump): the same
    // picture, up to the rounding of see-through pixels (a few levels of 255 where markers
    // pile up). Only with no other path on this canvas.
    _draw: function () {
      if (!this._redrawBounds && this._stampAll()) return;
      if (this._stampBuf) this._stampBuf.valid = false;  // the canvas is no longer its picture
      L.Canvas.prototype._draw.call(this);
    },
    _stampAll: function () {
      var n = 0, o;
      for (o = this._drawFirst; o && n < STAMP_FROM; o = o.next) n++;
      if (n < STAMP_FROM) return false;
      var m = L.Browser.retina ? 2 : 1, b = this._bounds, stamps = this._stampScratch();
      for (o = this._drawFirst; o; o = o.next) {
        var layer = o.layer, pb = layer._pxBounds;
        if (!layer._point || !layer._radius || !pb) return false;  // not a marker
        if (pb.max.x < b.min.x || pb.min.x > b.max.x || pb.max.y < b.min.y || pb.min.y > b.max.y) {
          continue;  // off the canvas
        }
        if (!this._pushStamp(stamps, layer, m)) return false;
      }
      var w = this._container.width, h = this._container.height;
      var buf = this._stampBuf;
      if (!buf || buf.width !== w || buf.height !== h) {
        buf = this._stampBuf = {width: w, height: h, image: this._ctx.createImageData(w, h),
          rows: [0, 0]};
      } else {
        buf.image.data.fill(0, 4 * w * buf.rows[0], 4 * w * buf.rows[1]);  // the last picture
      }
      // Only the rows markers cover are put (the rest of the canvas was cleared).
      var rows = buf.rows = U.stampSprites(buf.image.data, w, h, stamps.list, null, stamps.n);
      if (rows[1] > rows[0]) this._ctx.putImageData(buf.image, 0, 0, 0, rows[0], w, rows[1] - rows[0]);
      buf.valid = true;
      return true;
    },
    // The pixels of a marker's image (U.spritePixels), or null if it has none (not a marker
    // drawn from an image). The image is kept with the key of its look (which a restyle
    // forgets), and with a shared style of styles.markerStyle (one a holder, never changed),
    // so that a marker restyled to a look seen before finds its image without making the key.
    _spriteOf: function (layer, m) {
      var sp = layer._tsPixels, st = layer._tsStyle, byStyle = st && st._tsKeys;
      if (byStyle && layer._tsPixStyle === st && layer._tsPixR === layer._radius && sp) return sp;
      if (byStyle && st._tsPix && (sp = st._tsPix[layer._radius])) {
        layer._tsPixels = sp; layer._tsPixStyle = st; layer._tsPixR = layer._radius;
        return sp;
      }
      var pixels = this._spritePixels || (this._spritePixels = {});
      sp = layer._tsPixels;
      if (!sp || layer._tsPixelsKey !== layer._tsLook || layer._tsLookR !== layer._radius) {
        var key = layer._tsPixelsKey = this._lookKey(layer, m);
        if (pixels[key] === undefined) {  // a look not drawn yet: make its image, draw nothing
          this._drawing = this._tsMakeOnly = true;
          try { layer._updatePath(); } finally { this._drawing = this._tsMakeOnly = false; }
          if (!layer._tsSprite) return null;
        }
        sp = layer._tsPixels = pixels[key];
        if (!sp) return null;
      }
      if (byStyle) {
        if (!st._tsPix) Object.defineProperty(st, "_tsPix", {value: {}});
        st._tsPix[layer._radius] = sp;
        layer._tsPixStyle = st; layer._tsPixR = layer._radius;
      }
      return sp;
    },
    // The list of stamps of a paint, emptied: {list, n}, three entries a stamp (see
    // _pushStamp). One list kept and written over: a new one a paint, grown by pushes, was
    // 2.9 MB of garbage a jump at 50,000 places, and the collections it brought on fell on
    // the reader's next steps.
    _stampScratch: function () {
      var st = this._stamps || (this._stamps = {list: [], n: 0});
      st.n = 0;
      return st;
    },
    // Add a marker's stamp (canvas pixel of its image's corner, and the image) to
    // ``stamps`` (_stampScratch); false if it is not a marker drawn from an image.
    _pushStamp: function (stamps, layer, m) {
      var b = this._bounds, sp = layer._point && layer._radius && this._spriteOf(layer, m);
      if (!sp) return false;
      var list = stamps.list, n = stamps.n;
      list[n] = Math.round(m * (layer._point.x - b.min.x)) - sp.half;
      list[n + 1] = Math.round(m * (layer._point.y - b.min.y)) - sp.half;
      list[n + 2] = sp;
      stamps.n = n + 3;
      return true;
    },
    // A patch of a canvas whose markers were stamped (_stampAll): the box is cleared in the
    // kept picture, the markers that meet it stamped again within it, and the box alone put
    // on the canvas (no drawImage, clip or redraw of whole markers). False, with nothing
    // changed, if a path there is not a marker drawn from an image.
    _stampPatch: function (bounds) {
      var buf = this._stampBuf, b = this._bounds, m = L.Browser.retina ? 2 : 1;
      var w = buf.width, h = buf.height;
      var x0 = Math.max(0, m * (bounds.min.x - b.min.x)), y0 = Math.max(0, m * (bounds.min.y - b.min.y));
      var x1 = Math.min(w, m * (bounds.max.x - b.min.x)), y1 = Math.min(h, m * (bounds.max.y - b.min.y));
      if (x1 <= x0 || y1 <= y0) return true;
      var list = this._patchLayers(bounds), stamps = this._stampScratch();
      for (var i = 0; i < list.length; i++) {
        if (!this._pushStamp(stamps, list[i], m)) return false;
      }
      var data = buf.image.data;
      for (var y = y0; y < y1; y++) data.fill(0, 4 * (y * w + x0), 4 * (y * w + x1));
      U.stampSprites(data, w, h, stamps.list, [x0, y0, x1, y1], stamps.n);
      this._ctx.putImageData(buf.image, 0, 0, x0, y0, x1 - x0, y1 - y0);
      buf.rows[0] = Math.min(buf.rows[0], y0);
      buf.rows[1] = Math.max(buf.rows[1], y1);
      return true;
    },
    _redraw: function () {
      var patches = this._patches, full = this._full;
      this._patches = this._patchKeys = null;
      this._full = false;
      this._redrawRequest = null;
      if (full) {
        this._redrawBounds = null;
        L.Canvas.prototype._redraw.call(this);
        // After a move the grid is built again when a patch first needs it (a drag of the map
        // or the slider, repainting all on every frame, never does). A whole repaint of many
        // restyled markers (a jump) moves no box beyond what the grid allows for (restyles
        // keep its boxes, _gridBox): the grid is kept, and the first step after a jump at
        // 50,000 places no longer builds it (40 ms).
        if (this._gridMoved || !this._grid) {
          this._grid = null;
          this._gridStale = true;
        }
        this._gridMoved = false;
        return;
      }
      if (!patches) return;
      if (this._gridStale) {
        this._gridStale = false;
        this._buildGrid();
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
        if (this._stampBuf && this._stampBuf.valid && this._stampPatch(p)) continue;
        if (this._stampBuf) this._stampBuf.valid = false;
        this._redrawBounds = p;
        this._clear();
        this._drawPatch(p);
        this._redrawBounds = null;
      }
    }
  });

  // A restyle makes Leaflet write every attribute of a path's look, changed or not, and each
  // write costs the browser a new style for that path (on a phone, a step that restyles many
  // places spent more on this than on anything else). The writes go through a stand-in of the
  // path that remembers what each attribute holds and passes on only the changes.
  function quietPath(path) {
    var held = path._tsHeld || (path._tsHeld = {});
    return {
      setAttribute: function (key, value) {
        value = String(value);
        if (held[key] !== value) { held[key] = value; path.setAttribute(key, value); }
      },
      removeAttribute: function (key) {
        if (held[key] !== null) { held[key] = null; path.removeAttribute(key); }
      }
    };
  }
  var QuietSVG = L.SVG.extend({
    _updateStyle: function (layer) {
      var path = layer._path;
      if (!path) return;
      layer._path = quietPath(path);
      try { L.SVG.prototype._updateStyle.call(this, layer); } finally { layer._path = path; }
    },
    _setPath: function (layer, d) {
      quietPath(layer._path).setAttribute("d", d);
    }
  });

  M.PatchCanvas = PatchCanvas;
  M.QuietSVG = QuietSVG;
})(window.__mapper || (window.__mapper = {}));
