/*
 * mapper browser code, module styles: the colours and Leaflet path styles of places, areas,
 * routes and fronts, by controller. No DOM.
 *
 * A controller is a faction index (0..nf-1), nf for "contested", or negative (unknown).
 * Sea and border colours as in mapper/snapshot.py (SEA_COLOUR, BORDER_COLOUR).
 */
(function (M) {
  "use strict";

  var UNKNOWN_COLOUR = "#9e9e9e";
  var FRONT_COLOUR = "#1a1a1a";
  // Radius of a place marker by kind, in pixels; kinds not listed use DEFAULT_RADIUS.
  var RADIUS = {capital: 9, city: 7, town: 5, airbase: 5, base: 4.5, crossing: 4.5,
    district: 4, village: 3.5, site: 3.5};
  var DEFAULT_RADIUS = 4;
  // The offline base map: land on a sea-coloured background, lakes in the sea colour,
  // first-level regions as thin dashed lines, country borders in grey.
  var BASE = {sea: "#cfdfe8", land: "#f4f2ec", coast: "#9fb7c8", border: "#8c8c8c",
    region: "#b9b5ad", river: "#8fb3cc", city: "#6b665c"};

  // The coast of one ring of base-map land (payload basemap.levels): the edges of its
  // polygons ([[lat, lon], ...] rings) less those that lie along the ring's own box or the
  // box cut out of it (``inner``, or null), where the land was only cut. Boxes are
  // [lon0, lat0, lon1, lat1]; ``eps`` is half a coordinate unit. Returns polylines.
  function coastLines(polys, box, inner, eps) {
    var boxes = inner ? [box, inner] : [box];
    function onEdge(a, b) {
      for (var k = 0; k < boxes.length; k++) {
        var bx = boxes[k];
        for (var c = 0; c < 2; c++) {
          var v0 = bx[c], v1 = bx[c + 2], ax = a[1 - c], bxv = b[1 - c];
          if ((Math.abs(ax - v0) < eps && Math.abs(bxv - v0) < eps) ||
              (Math.abs(ax - v1) < eps && Math.abs(bxv - v1) < eps)) return true;
        }
      }
      return false;
    }
    var out = [];
    polys.forEach(function (poly) {
      poly.forEach(function (ring) {
        var line = [];
        for (var i = 1; i < ring.length; i++) {
          if (onEdge(ring[i - 1], ring[i])) {
            if (line.length > 1) out.push(line);
            line = [];
          } else {
            if (!line.length) line.push(ring[i - 1]);
            line.push(ring[i]);
          }
        }
        if (line.length > 1) out.push(line);
      });
    });
    return out;
  }

  // Marker shapes, one per faction in legend order (then round again), so that colour is not
  // the only cue, as the areas' patterns do; contested and unknown places are circles
  // (contested with a dashed outline).
  var SHAPES = ["circle", "square", "triangle", "diamond", "hexagon", "triangle-down",
    "pentagon"];
  // The corners of a shape of "radius" r centred on (x, y), in pixels (y down), sized to
  // cover about the area of the circle of radius r. A circle: null. No DOM.
  function shapePoints(shape, x, y, r) {
    function regular(n, turn, scale) {
      var out = [], k = r * scale;
      for (var i = 0; i < n; i++) {
        var a = turn + i * 2 * Math.PI / n;
        out.push([x + k * Math.sin(a), y - k * Math.cos(a)]);
      }
      return out;
    }
    switch (shape) {
      case "square": return regular(4, Math.PI / 4, 1.25);
      case "diamond": return regular(4, 0, 1.3);
      case "triangle": return regular(3, 0, 1.55);
      case "triangle-down": return regular(3, Math.PI, 1.55);
      case "pentagon": return regular(5, 0, 1.15);
      case "hexagon": return regular(6, 0, 1.1);
      default: return null;
    }
  }
  // An SVG path ("M..L..z") through some points, or "" for none.
  function pointsPath(pts) {
    if (!pts || !pts.length) return "";
    return "M" + pts.map(function (p) {
      return Math.round(p[0] * 10) / 10 + "," + Math.round(p[1] * 10) / 10;
    }).join("L") + "z";
  }
  // An incident's mark: a diamond (a square turned 45 degrees) up and right of its place, so
  // that the place's own marker stays clickable: its centre (dx, dy) pixels from the place,
  // the square's side through the middle of its edge, the edge's width and colours.
  var INCIDENT = {dx: 9, dy: -9, side: 7.5, weight: 1.5, fill: "#ff8f00", edge: "#1d1d1d"};
  // The diamond for a place at (x, y) on ctx, in the context's alpha (the binned marks'
  // canvas, the PNG export).
  function paintDiamond(ctx, x, y) {
    var d = INCIDENT;
    ctx.save();
    ctx.translate(x + d.dx, y + d.dy);
    ctx.rotate(Math.PI / 4);
    var out = d.side + d.weight;  // the fill reaches under the edge's outer half
    ctx.fillStyle = d.fill;
    ctx.fillRect(-out / 2, -out / 2, out, out);
    ctx.strokeStyle = d.edge;
    ctx.lineWidth = d.weight;
    ctx.strokeRect(-d.side / 2, -d.side / 2, d.side, d.side);
    ctx.restore();
  }
  // The diamond as an SVG path (Leaflet's circle marker, whose ``radius`` must cover it: the
  // box Leaflet keeps for it), titled by ``_tsTitle``.
  var IncidentMark = typeof L === "undefined" ? null : L.CircleMarker.extend({
    options: {radius: 16, stroke: true, color: INCIDENT.edge, weight: INCIDENT.weight,
      fill: true, fillColor: INCIDENT.fill, opacity: 1, fillOpacity: 1},
    _updatePath: function () {
      var p = this._point, cx = p.x + INCIDENT.dx, cy = p.y + INCIDENT.dy;
      var h = INCIDENT.side / Math.SQRT2;
      this._renderer._setPath(this, pointsPath([[cx, cy - h], [cx + h, cy], [cx, cy + h],
        [cx - h, cy]]));
    },
    onAdd: function (map) {
      L.CircleMarker.prototype.onAdd.call(this, map);
      if (this._tsTitle && this._path && !this._path.firstChild) {
        var t = document.createElementNS("http://www.w3.org/2000/svg", "title");
        t.textContent = this._tsTitle;
        this._path.appendChild(t);
      }
    }
  });
  // Leaflet's circle marker drawn as options.shape (SVG or canvas), built once Leaflet is there.
  var ShapeMarker = null;
  function shapeMarker(latlng, options) {
    if (!ShapeMarker) {
      ShapeMarker = L.CircleMarker.extend({
        // The page's own fields, all made at once and in one order: the markers then share
        // one shape in the JavaScript engine, and loops over tens of thousands of them read
        // them fast. Made on the way, in whatever order each marker's history gave, they
        // made reads lookups: finding the markers of a step's boxes at 50,000 places took
        // 8.0 ms, 4.1 ms with this (2.3 ms with the grid's typed arrays, canvas.js).
        initialize: function (latlng, options) {
          this._tsStyle = this._tsLook = this._tsLookR = this._tsSprite = undefined;
          this._tsPixels = this._tsPixelsKey = this._tsPixStyle = this._tsPixR = undefined;
          this._tsOrder = this._tsBox = this._tsIdx = this._tsIdxGen = undefined;
          L.CircleMarker.prototype.initialize.call(this, latlng, options);
        },
        setStyle: function (style) {
          // The style it has already (markerStyle gives one object a controller): nothing to
          // do (a jump across the range restyles most of 50,000 places).
          if (style && style === this._tsStyle) return this;
          this._tsStyle = style;
          // The look changed (canvas.js _drawSprite). On a canvas the shape is read when drawn:
          // a restyle that keeps the radius needs no new position (CircleMarker's would).
          this._tsLook = null;
          this.options.look = undefined;  // a style that names its look sets it again
          var r = this._renderer, same = !(style && style.radius !== undefined &&
            style.radius !== this._radius);
          if (!(r && (r._ctx || this._point) && same)) {
            return L.CircleMarker.prototype.setStyle.call(this, style);
          }
          // Path's setStyle, but the box is measured again only when the outline's width
          // changed (it was on every restyle: a tenth of a jump with 50,000 places), and an
          // SVG path is written again only when its shape changed (CircleMarker's setStyle
          // projects and writes it on every restyle: a third of a phone's step).
          var o = this.options, weight = o.weight, stroke = o.stroke, shape = o.shape;
          if (style._tsKeys) {
            // A markerStyle (newMarkerStyle): its keys written by name. L.setOptions's for-in
            // over them was most of a restyle; a loop over their names, each write a lookup
            // by name, still 27 of the 84 ms of a jump at 50,000 places.
            o.fillColor = style.fillColor; o.fillOpacity = style.fillOpacity;
            o.color = style.color; o.weight = style.weight; o.dashArray = style.dashArray;
            o.shape = style.shape; o.look = style.look;
          } else {
            L.setOptions(this, style);
          }
          r._updateStyle(this);
          if (!r._ctx && o.shape !== shape) this._updatePath();
          if (o.weight === weight && o.stroke === stroke) return this;
          var b = this._pxBounds, p = this._point;
          if (!b || !p) return this._updateBounds();
          // CircleMarker's _updateBounds, in place (it makes six objects).
          var w = this._clickTolerance(), rx = this._radius + w, ry = (this._radiusY || this._radius) + w;
          b.min.x = p.x - rx; b.min.y = p.y - ry; b.max.x = p.x + rx; b.max.y = p.y + ry;
          if (r._gridBox) r._gridBox(this);
          return this;
        },
        // On a canvas (PatchCanvas, canvas.js), stamped from an image of the marker's look;
        // circles as Leaflet draws them (a whole-pixel radius).
        _updatePath: function () {
          var r = this._renderer, shape = this.options.shape, radius = this._radius;
          if (!r._drawSprite) {
            var pts = shapePoints(shape, this._point.x, this._point.y, radius);
            if (!pts) return L.CircleMarker.prototype._updatePath.call(this);
            return r._setPath(this, pointsPath(pts));
          }
          if (!r._drawing || this._empty()) return;
          r._drawSprite(this, function (g) {
            var corners = shapePoints(shape, 0, 0, radius);
            if (!corners) return g.arc(0, 0, Math.max(Math.round(radius), 1), 0, Math.PI * 2);
            corners.forEach(function (p, k) { if (k) g.lineTo(p[0], p[1]); else g.moveTo(p[0], p[1]); });
            g.closePath();
          });
        }
      });
    }
    return new ShapeMarker(latlng, options);
  }

  // The styles of one dataset's factions.
  function create(factions) {
    var nf = factions.length, CONTESTED = nf;
    function controllerLabel(c) {
      if (c === CONTESTED) return "Contested";
      if (c >= 0 && c < nf) return factions[c].label;
      return "Unknown";
    }
    // The id the page's API and the SVG's data-controller give a controller.
    function controllerId(c, none) {
      return c === CONTESTED ? "contested" : c >= 0 ? factions[c].id : none;
    }
    function colourOf(c) { return c >= 0 && c < nf ? factions[c].colour : UNKNOWN_COLOUR; }
    // The marker shape of a controller (see SHAPES).
    function shapeOf(c) { return c >= 0 && c < nf ? SHAPES[c % SHAPES.length] : "circle"; }
    // A place marker's style: one object a controller, shared (not to be changed), so that
    // restyling a marker to the look it has is seen at once (shapeMarker's setStyle).
    var markerStyles = {};
    function markerStyle(c) {
      var st = markerStyles[c];
      if (!st) {
        st = markerStyles[c] = newMarkerStyle(c);
        // Its keys, listed once (shapeMarker's setStyle copies them); not enumerable, so not
        // copied into a marker's options.
        Object.defineProperty(st, "_tsKeys", {value: Object.keys(st)});
      }
      return st;
    }
    function newMarkerStyle(c) {
      // ``look`` names the style, a function of c alone (canvas.js _drawSprite keys on it).
      // The same seven keys for every holder: shapeMarker's setStyle writes them by name.
      if (c === CONTESTED) {
        return {fillColor: "#ffffff", fillOpacity: 1, color: "#111111", weight: 2.5,
          dashArray: "3 2", shape: "circle", look: "holder " + c};
      }
      if (c < 0) {
        return {fillColor: UNKNOWN_COLOUR, fillOpacity: 0.85, color: "#5f5f5f", weight: 1,
          dashArray: null, shape: "circle", look: "holder -1"};
      }
      return {fillColor: factions[c].colour, fillOpacity: 0.95, color: "#1f1f1f", weight: 1.2,
        dashArray: null, shape: shapeOf(c), look: "holder " + c};
    }
    // How the ground a controller holds is filled: a colour, its opacity (in a pane that is
    // itself see-through, CSS), and the faction's pattern (hatch, cross, dots; contested:
    // stripes), drawn over the colour.
    function areaFill(c) {
      if (c === CONTESTED) return {colour: "#bdbdbd", alpha: 1, pattern: "stripes"};
      if (c < 0 || c >= nf) return {colour: UNKNOWN_COLOUR, alpha: 0.3, pattern: null};
      var kind = factions[c].pattern;
      return {colour: factions[c].colour, alpha: 1,
        pattern: kind === "hatch" || kind === "cross" || kind === "dots" ? kind : null};
    }
    function lineColour(c) {
      if (c === CONTESTED) return "#555555";
      return colourOf(c);
    }
    function dashOf(c) { return c >= 0 && c < nf && factions[c].dash ? factions[c].dash : null; }
    return {factions: factions, nf: nf, CONTESTED: CONTESTED,
      controllerLabel: controllerLabel, controllerId: controllerId, colourOf: colourOf,
      shapeOf: shapeOf, markerStyle: markerStyle, areaFill: areaFill, lineColour: lineColour,
      dashOf: dashOf};
  }

  // A front line between two places shows where both are held, by different sides.
  function frontShown(a, b) { return a >= 0 && b >= 0 && a !== b; }
  // A route segment between places held by a and b (-1: no place or unknown): the controllers
  // its two halves are coloured by, and whether the cut mark between them shows.
  function segmentEnds(a, b) {
    var cutHere = a >= 0 && b >= 0 && a !== b;
    var ca = cutHere || a === b ? a : (a >= 0 ? a : b);
    var cb = cutHere || a === b ? b : ca;
    return [ca, cb, cutHere];
  }

  M.styles = {UNKNOWN_COLOUR: UNKNOWN_COLOUR, FRONT_COLOUR: FRONT_COLOUR, RADIUS: RADIUS,
    DEFAULT_RADIUS: DEFAULT_RADIUS, BASE: BASE, coastLines: coastLines, SHAPES: SHAPES,
    shapePoints: shapePoints, pointsPath: pointsPath, shapeMarker: shapeMarker, create: create, frontShown: frontShown,
    segmentEnds: segmentEnds, INCIDENT: INCIDENT, paintDiamond: paintDiamond,
    IncidentMark: IncidentMark};
})(window.__mapper || (window.__mapper = {}));
