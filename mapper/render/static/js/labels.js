/*
 * mapper browser code, module labels: which label wins where two overlap (declutter).
 *
 * Labels are placed in rank order (lower first); one that would overlap a placed label tries
 * the other side of its marker, then is hidden until the next zoom. A label is
 * {i, layer, rank, region}: the layer is a circle marker with a permanent tooltip, or (region)
 * a marker whose icon is the text. Only declutter touches the page, through those layers.
 */
(function (M) {
  "use strict";

  var LABEL_RANK = {capital: 0, city: 1, town: 2, country: 3, region: 4};
  var LABEL_RANK_OTHER = 2;  // a place labelled through the data's ``label`` column
  var LABEL_RANK_MINOR = 5;  // other places, labelled only when zoomed in
  var LABEL_RANK_BASE = 6;  // country names of the base map
  var MINOR_LABEL_ZOOM = 2;  // ... that many levels past the dataset's initial zoom

  // The rank of a place's label: a main label by its kind, else a minor one.
  function rank(kind, main) {
    if (!main) return LABEL_RANK_MINOR;
    return LABEL_RANK[kind] !== undefined ? LABEL_RANK[kind] : LABEL_RANK_OTHER;
  }
  function byRank(a, b) { return a.rank - b.rank || a.i - b.i; }
  // Two client rectangles overlap (a pixel apart sideways, 4 pixels of line height allowed).
  function overlaps(rc, o) {
    return rc.left + 1 < o.right && rc.right - 1 > o.left && rc.top + 4 < o.bottom &&
      rc.bottom - 4 > o.top;
  }
  function clashes(rc, placed) {
    for (var k = 0; k < placed.length; k++) if (overlaps(rc, placed[k])) return true;
    return false;
  }
  // Show or hide every label (sorted by byRank) by where it lies on the screen now.
  function declutter(labels) {
    var placed = [];
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
      if (clashes(rc, placed) && tip) {
        tip.options.direction = "left";
        tip.options.offset = [-lab.layer.getRadius() - 1, 0];
        tip.update();
        rc = node.getBoundingClientRect();
      }
      if (clashes(rc, placed)) node.style.visibility = "hidden";
      else placed.push(rc);
    }
  }

  M.labels = {LABEL_RANK_BASE: LABEL_RANK_BASE, MINOR_LABEL_ZOOM: MINOR_LABEL_ZOOM, rank: rank,
    byRank: byRank, overlaps: overlaps, clashes: clashes, declutter: declutter};
})(window.__mapper || (window.__mapper = {}));
