/*
 * mapper browser code, module labels: where each place's name goes, and which names (and
 * dots) give way where the map is crowded. Recomputed on every zoom.
 *
 * The pure part works on screen boxes: group() folds dots that overlap a dot of higher
 * priority into it (the city's main place stands for the pile until zoomed in: "Aleppo +5");
 * place() then puts the labels, in priority order, at the first of eight positions around
 * their own dot (right, left, the four diagonals, above, below) that overlaps no label placed
 * before and no other dot, so a name never sits beside a neighbour's dot; where a main
 * place finds no such spot, the dots of minor places in its way give way (hidden until
 * zoomed in); a label with no room is hidden (its name shows on hover and keyboard focus). Labels of regions and of the
 * base map's countries are centred on their point and never move.
 *
 * declutter(labels, map) measures the page and applies the result: a label is
 * {i, layer, rank, pop, region}: the layer is a circle marker with a permanent tooltip, or
 * (region) a marker whose icon is the text.
 */
(function (M) {
  "use strict";

  var LABEL_RANK = {capital: 0, city: 1, town: 2, country: 3, region: 4};
  var LABEL_RANK_OTHER = 2;  // a place labelled through the data's ``label`` column
  var LABEL_RANK_MINOR = 5;  // other places, labelled only when zoomed in
  var LABEL_RANK_BASE = 6;  // country names of the base map
  var MINOR_LABEL_ZOOM = 2;  // ... that many levels past the dataset's initial zoom
  var GAP = 1;  // pixels between a dot's edge and its label's box
  var CLEAR = 2;  // pixels a label's text keeps clear of another dot (farther than its own)
  var INSET = 3;  // a diagonal label's line spacing may reach past its own dot's edge
  var DOT_INSET = 2;  // ... and its line spacing, top and bottom, may reach another dot
  // Where a label may go around its dot, in the order tried.
  var POSITIONS = ["right", "left", "top-right", "bottom-right", "top-left", "bottom-left",
    "top", "bottom"];

  // The rank of a place's label: a main label by its kind, else a minor one.
  function rank(kind, main) {
    if (!main) return LABEL_RANK_MINOR;
    return LABEL_RANK[kind] !== undefined ? LABEL_RANK[kind] : LABEL_RANK_OTHER;
  }
  // Priority order: rank, then the larger population, then the data's order.
  function byRank(a, b) { return a.rank - b.rank || (b.pop || 0) - (a.pop || 0) || a.i - b.i; }
  // Two boxes overlap (a pixel apart sideways, 4 pixels of line height allowed).
  function overlaps(rc, o) {
    return rc.left + 1 < o.right && rc.right - 1 > o.left && rc.top + 4 < o.bottom &&
      rc.bottom - 4 > o.top;
  }
  function clashes(rc, placed) {
    for (var k = 0; k < placed.length; k++) if (overlaps(rc, placed[k])) return true;
    return false;
  }
  // The box of a w x h label at ``pos`` around a dot of radius r at (x, y).
  function candidate(pos, x, y, r, w, h) {
    var d = r + GAP, dg = Math.round(d * 0.7071 * 10) / 10, left, top;
    if (pos === "right") { left = x + d; top = y - h / 2; }
    else if (pos === "left") { left = x - d - w; top = y - h / 2; }
    else if (pos === "top") { left = x - w / 2; top = y - d - h; }
    else if (pos === "bottom") { left = x - w / 2; top = y + d; }
    else if (pos === "top-right") { left = x + dg; top = y - dg - h + INSET; }
    else if (pos === "bottom-right") { left = x + dg; top = y + dg - INSET; }
    else if (pos === "top-left") { left = x - dg - w; top = y - dg - h + INSET; }
    else if (pos === "bottom-left") { left = x - dg - w; top = y + dg - INSET; }
    else { left = x - w / 2; top = y - h / 2; }  // "center"
    return {left: left, top: top, right: left + w, bottom: top + h};
  }
  // The box comes nearer than CLEAR to the dot (x, y, r); its line spacing may.
  function coversDot(box, dot) {
    var dx = Math.max(box.left - dot.x, 0, dot.x - box.right);
    var dy = Math.max(box.top + DOT_INSET - dot.y, 0, dot.y - (box.bottom - DOT_INSET));
    var reach = dot.r + CLEAR;
    return dx * dx + dy * dy < reach * reach;
  }

  // A grid of boxes for quick neighbour queries (cells of ``size`` pixels).
  function grid(size) {
    var cells = {};
    function keys(box, fn) {
      var x0 = Math.floor(box.left / size), x1 = Math.floor(box.right / size);
      var y0 = Math.floor(box.top / size), y1 = Math.floor(box.bottom / size);
      for (var gx = x0; gx <= x1; gx++) for (var gy = y0; gy <= y1; gy++) fn(gx + ":" + gy);
    }
    return {
      add: function (box, item) {
        keys(box, function (k) { (cells[k] || (cells[k] = [])).push(item); });
      },
      near: function (box) {
        var out = [];
        keys(box, function (k) {
          var list = cells[k];
          if (list) for (var j = 0; j < list.length; j++) if (out.indexOf(list[j]) < 0) out.push(list[j]);
        });
        return out;
      }
    };
  }

  // Fold dots into the dot of higher priority they overlap. ``items`` in priority order,
  // each {x, y, r}: r 0 for a label without a dot (never grouped). Returns ``into`` (-1, or
  // the index of the dot that stands for it) and ``count`` (how many each one stands for).
  function group(items) {
    var n = items.length, into = new Array(n), count = new Array(n), maxR = 1;
    for (var j = 0; j < n; j++) { into[j] = -1; count[j] = 0; maxR = Math.max(maxR, items[j].r || 0); }
    var kept = grid(4 * maxR);
    for (j = 0; j < n; j++) {
      var a = items[j];
      if (!(a.r > 0)) continue;
      var near = kept.near({left: a.x - a.r - maxR, right: a.x + a.r + maxR,
        top: a.y - a.r - maxR, bottom: a.y + a.r + maxR});
      near.sort(function (p, q) { return p - q; });
      for (var k = 0; k < near.length; k++) {
        var b = items[near[k]], dx = a.x - b.x, dy = a.y - b.y, reach = a.r + b.r;
        if (dx * dx + dy * dy < reach * reach) { into[j] = near[k]; count[near[k]]++; break; }
      }
      if (into[j] < 0) kept.add({left: a.x, right: a.x, top: a.y, bottom: a.y}, j);
    }
    return {into: into, count: count};
  }

  // Place the labels. ``items`` in priority order, each {x, y, r, w, h, fixed, minor}: the
  // dot at (x, y) of radius r (0: none), the label w x h (0 wide: none to place), ``fixed``
  // for a label centred on its point, ``minor`` for a place that is not a main one. ``into`` from group() (grouped items show nothing); ``view``
  // (optional, a box): a label of a dot inside it stays inside it, not cut by the edge.
  // Returns per item {pos, box, hidden}: pos null where the label is hidden, hidden where the
  // dot gave way to a main place's label.
  function place(items, into, view) {
    var n = items.length, out = new Array(n), maxW = 1, maxH = 1;
    for (var j = 0; j < n; j++) { maxW = Math.max(maxW, items[j].w || 0); maxH = Math.max(maxH, items[j].h || 0); }
    var size = Math.max(32, maxW, maxH);
    var dots = grid(size), labels = grid(size);
    for (j = 0; j < n; j++) {
      var it = items[j];
      if (it.r > 0 && !(into && into[j] >= 0)) {
        dots.add({left: it.x - it.r, right: it.x + it.r, top: it.y - it.r, bottom: it.y + it.r}, j);
      }
    }
    var hidden = new Array(n);
    // The dots a label at ``box`` would come near (other than its own), or null if it may
    // not go there: with ``yield`` true, the dots of minor places after it may give way.
    function blockers(j2, box, yieldMinor) {
      var near = dots.near(box), out2 = [];
      for (var k = 0; k < near.length; k++) {
        var d = near[k];
        if (d === j2 || hidden[d] || !coversDot(box, items[d])) continue;
        if (!yieldMinor || !(items[d].minor && d > j2)) return null;
        out2.push(d);
      }
      return out2;
    }
    for (j = 0; j < n; j++) {
      it = items[j];
      out[j] = {pos: null, box: null, hidden: !!hidden[j]};
      if (hidden[j] || !(it.w > 0) || (into && into[j] >= 0)) continue;
      var tries = it.fixed || !(it.r > 0) ? ["center"] : POSITIONS;
      var inView = view && !it.fixed && it.x >= view.left && it.x <= view.right &&
        it.y >= view.top && it.y <= view.bottom;
      // First a spot clear of every dot; for a main place, then one where only minor
      // places' dots are in the way: those dots give way (they show again zoomed in).
      for (var pass = 0; pass < (it.minor || it.fixed ? 1 : 2) && !out[j].pos; pass++) {
        for (var t = 0; t < tries.length; t++) {
          var box = candidate(tries[t], it.x, it.y, it.r || 0, it.w, it.h);
          if (inView && (box.left < view.left || box.right > view.right || box.top < view.top ||
            box.bottom > view.bottom)) continue;
          var free = true, near = labels.near(box), k;
          for (k = 0; k < near.length && free; k++) if (overlaps(box, out[near[k]].box)) free = false;
          var gone = free ? blockers(j, box, pass === 1) : null;
          if (!gone) continue;
          for (k = 0; k < gone.length; k++) hidden[gone[k]] = true;
          out[j] = {pos: tries[t], box: box, hidden: false};
          labels.add(box, j);
          break;
        }
      }
    }
    return out;
  }

  // ---- the page ---------------------------------------------------------------------------
  function countText(n) { return n ? " +" + n : ""; }
  // "Aleppo +5": how many places the label's dot stands for, in a span after the name.
  function setCount(node, count) {
    var more = node.querySelector(".ts-label-more"), text = countText(count);
    if (!more) {
      if (!count) return;
      more = document.createElement("span");
      more.className = "ts-label-more";
      (node.firstElementChild || node).appendChild(more);
    }
    if (more.textContent !== text) more.textContent = text;
  }
  // Hide or show a grouped dot (SVG paths only; on a canvas the dot stays, its label goes).
  function showDot(layer, on) {
    var path = layer._path;
    if (!path) return;
    path.style.display = on ? "" : "none";
    if (path.hasAttribute("tabindex")) path.setAttribute("tabindex", on ? "0" : "-1");
  }
  // Lay out every label (sorted by byRank) for the map as it is now.
  function declutter(labels, map) {
    var items = [], tips = [], nodes = [];
    for (var j = 0; j < labels.length; j++) {
      var lab = labels[j], layer = lab.layer;
      var tip = lab.region ? null : layer.getTooltip();
      var dot = !lab.region && layer.getRadius && layer._map ? layer.getRadius() : 0;
      var p = map && layer._map ? map.latLngToContainerPoint(layer.getLatLng()) : {x: 0, y: 0};
      items.push({x: p.x, y: p.y, r: dot, w: 0, h: 0, fixed: !!lab.region,
        minor: lab.rank >= LABEL_RANK_MINOR});
      tips.push(tip);
      nodes.push(tip ? tip.getElement() : layer.getElement());
    }
    var g = group(items);
    for (j = 0; j < labels.length; j++) {
      if (!labels[j].region) showDot(labels[j].layer, g.into[j] < 0);
      if (tips[j] && nodes[j]) setCount(nodes[j], g.count[j]);
    }
    // Measure (one layout for all: only reads here), then place, then write.
    for (j = 0; j < labels.length; j++) {
      var node = nodes[j];
      if (!node) continue;
      if (tips[j]) {  // the size Leaflet positions the tooltip by
        items[j].w = node.offsetWidth || 0;
        items[j].h = node.offsetHeight || 0;
        continue;
      }
      // A region's text is centred on its point by CSS: take the text's own box.
      var rc = (node.firstChild && node.firstChild.getBoundingClientRect ? node.firstChild
        : node).getBoundingClientRect();
      items[j].w = rc.width;
      items[j].h = rc.height;
      if (rc.width) {
        var origin = map ? map.getContainer().getBoundingClientRect() : {left: 0, top: 0};
        items[j].x = (rc.left + rc.right) / 2 - origin.left;
        items[j].y = (rc.top + rc.bottom) / 2 - origin.top;
      }
    }
    var size = map ? map.getSize() : null;
    var spots = place(items, g.into, size ? {left: 0, top: 0, right: size.x, bottom: size.y} : null);
    for (j = 0; j < labels.length; j++) {
      if (spots[j].hidden && !labels[j].region) showDot(labels[j].layer, false);
      node = nodes[j];
      if (!node || !items[j].w) continue;
      var spot = spots[j];
      if (!spot.pos) { node.style.visibility = "hidden"; continue; }
      node.style.visibility = "";
      tip = tips[j];
      if (tip) {
        var dx = Math.round((spot.box.left + spot.box.right) / 2 - items[j].x);
        var dy = Math.round((spot.box.top + spot.box.bottom) / 2 - items[j].y);
        var o = tip.options.offset;
        if (tip.options.direction !== "center" || !o || o[0] !== dx || o[1] !== dy) {
          tip.options.direction = "center";
          tip.options.offset = [dx, dy];
          tip.update();
        }
        node.setAttribute("data-pos", spot.pos);
      }
    }
  }
  // A label's name on hover and keyboard focus, even where it gave way.
  function reveal(layer) {
    function toggle(on) {
      var tip = layer.getTooltip && layer.getTooltip(), node = tip && tip.getElement();
      if (node) node.classList.toggle("ts-label-hover", on);
    }
    layer.on("mouseover", function () { toggle(true); });
    layer.on("mouseout", function () { toggle(false); });
    var path = layer.getElement && layer.getElement();
    if (path) {
      path.addEventListener("focus", function () { toggle(true); });
      path.addEventListener("blur", function () { toggle(false); });
    }
  }

  // Tooltips placed in one pass: Leaflet measures a tooltip's box before it places it, so
  // placing many one after the other lays the page out once each (on a phone, most of the
  // start). Within batch(fn), placements wait; at its end every box is read (one layout),
  // then every tooltip placed as Leaflet would, for the fixed directions labels use.
  var queued = null, leafletSetPosition = null;
  // Where a tooltip's anchor is in its box, by direction (Leaflet's "auto" is not batched).
  var SUB = {right: [0, 0.5], left: [1, 0.5], top: [0.5, 1], bottom: [0.5, 0], center: [0.5, 0.5]};
  function batch(fn) {
    if (typeof L === "undefined" || queued) return fn();
    if (!leafletSetPosition) {
      leafletSetPosition = L.Tooltip.prototype._setPosition;
      L.Tooltip.include({_setPosition: function (pos) {
        if (!queued || !SUB[this.options.direction]) return leafletSetPosition.call(this, pos);
        if (this._tsQueued === undefined) queued.push(this);
        this._tsQueued = pos;
      }});
    }
    var list = queued = [];
    try {
      return fn();
    } finally {
      queued = null;
      var live = list.filter(function (t) { return t._map && t._container; });
      var sizes = live.map(function (t) {
        return [t._container.offsetWidth, t._container.offsetHeight];
      });
      live.forEach(function (t, k) {
        var c = t._container, d = t.options.direction, f = SUB[d];
        ["right", "left", "top", "bottom"].forEach(function (x) {
          L.DomUtil.removeClass(c, "leaflet-tooltip-" + x);
        });
        L.DomUtil.addClass(c, "leaflet-tooltip-" + d);
        L.DomUtil.setPosition(c, t._tsQueued.subtract(L.point(sizes[k][0] * f[0],
          sizes[k][1] * f[1], true)).add(L.point(t.options.offset)).add(t._getAnchor()));
      });
      list.forEach(function (t) { t._tsQueued = undefined; });
    }
  }

  M.labels = {batch: batch, LABEL_RANK_BASE: LABEL_RANK_BASE, MINOR_LABEL_ZOOM: MINOR_LABEL_ZOOM,
    POSITIONS: POSITIONS, rank: rank, byRank: byRank, overlaps: overlaps, clashes: clashes,
    candidate: candidate, coversDot: coversDot, group: group, place: place,
    countText: countText, declutter: declutter, reveal: reveal};
})(window.__mapper || (window.__mapper = {}));
