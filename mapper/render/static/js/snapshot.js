/*
 * mapper browser code, module snapshot: "Download PNG", the map on the shown date drawn from
 * the data onto a canvas.
 *
 * Not a capture of the screen: every layer is drawn again with the same styles, at the
 * positions Leaflet gives (map.latLngToContainerPoint), over the whole window, then a title
 * with the date, the legend and a source line are added, and the image labelled as a
 * screenshot of the interactive map.
 */
(function (M) {
  "use strict";
  var U = M.util, S = M.styles;

  var FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif";
  var CREDIT_TAIL = " · Screenshot of the interactive map, mapper";

  function panel(ctx, x, y, w, h) {
    ctx.fillStyle = "rgba(255,255,255,0.92)";
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = "#9a9a9a"; ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  }
  // ``text``, cut short with "…" until it fits ``width`` in the context's font.
  function fitText(ctx, text, width) {
    if (ctx.measureText(text).width <= width) return text;
    while (text.length > 1 && ctx.measureText(text + "…").width > width) text = text.slice(0, -1);
    return text + "…";
  }
  // Who published the sources of the events up to ``day`` (publisher, else title), once each.
  function sourceNames(ev, nev, sources, day) {
    var seen = {}, names = [];
    for (var e = 0; e < nev; e++) {
      if (ev.day[e] > day || ev.src[e] < 0) continue;
      var who = sources.publisher[ev.src[e]] || sources.title[ev.src[e]];
      if (who && !seen[who]) { seen[who] = true; names.push(who); }
    }
    return names;
  }
  // The credit line along the bottom, naming fewer sources ("and 3 more") while tooWide(line);
  // ``tail`` (default CREDIT_TAIL) ends it. A line naming more sources is longer (a name and
  // its comma are wider than the digit "and N more" may lose), so the most names that fit
  // are found by halving: a few measures, not one per name.
  function creditLine(names, tooWide, tail) {
    var end = tail === undefined ? CREDIT_TAIL : tail;
    function line(shown) {
      if (shown >= names.length) {
        return "Sources: " + (names.length ? names.join(", ") : "none recorded") + end;
      }
      return "Sources: " + names.slice(0, shown).join(", ") + " and " + (names.length - shown) +
        " more" + end;
    }
    var all = line(names.length);
    if (names.length <= 1 || !tooWide(all)) return all;
    // lo: fits, or is the fewest allowed.
    var lo = 1, hi = names.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (tooWide(line(mid))) hi = mid - 1; else lo = mid;
    }
    return line(lo);
  }

  function setup(app) {
    var map = app.map, P = app.P, style = app.style, factions = app.factions;
    var CONTESTED = app.CONTESTED, cur = app.tl.cur, BASE = S.BASE;

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
      if (map.hasLayer(app.baseLayer)) {
        var baseGeom = app.baseGeom;
        ctx.beginPath(); polygons(baseGeom.land);
        ctx.fillStyle = BASE.land; ctx.fill("evenodd"); stroke(BASE.land, 0.6);
        ctx.beginPath(); path(baseGeom.coast, false); stroke(BASE.coast, 0.8);
        ctx.beginPath(); polygons(baseGeom.lakes);
        ctx.fillStyle = BASE.sea; ctx.fill("evenodd"); stroke(BASE.coast, 0.6);
        ctx.beginPath(); path(baseGeom.rivers, false); stroke(BASE.river, 1.1);
        ctx.beginPath(); path(baseGeom.regions, false); stroke(BASE.region, 0.7, "3 3");
        ctx.beginPath(); path(baseGeom.borders, false); stroke(BASE.border, 1.3);
      }
      // The ground as the map paints it (module ground), in this canvas's pixels.
      var origin = map.getPixelOrigin(), corner = map.containerPointToLayerPoint([0, 0]);
      var view = {scale: Math.pow(2, map.getZoom()),
        ox: origin.x + corner.x - box.left, oy: origin.y + corner.y - box.top};
      if (map.hasLayer(app.areaLayer)) {
        // Areas on their own layer, then laid over the map see-through, like their pane.
        var areas = document.createElement("canvas");
        areas.width = canvas.width; areas.height = canvas.height;
        var actx = areas.getContext("2d");
        actx.setTransform(ratio, 0, 0, ratio, 0, 0);
        M.ground.paintAreas(actx, app.ground, app.atl.cur, style.areaFill, view);
        ctx.save();
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.globalAlpha = 0.38;  // .leaflet-ts-areas-pane in the CSS
        ctx.drawImage(areas, 0, 0);
        ctx.restore();
      }
      if (map.hasLayer(app.frontLayer)) {
        if (app.paintComparison) app.paintComparison(ctx, view);
        M.ground.paintFronts(ctx, app.ground, app.fronts,
          M.ground.shownFronts(app.fronts, app.atl.cur, S.frontShown), view, S.FRONT_COLOUR,
          app.frontWeight);
      }
      if (map.hasLayer(app.routeLayer)) {
        var segLayers = app.segLayers;
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
      if (map.hasLayer(app.placeLayer)) {
        for (var i9 = 0; i9 < app.np; i9++) {
          var mk = app.markers[i9];
          if (!mk || (mk._path && mk._path.style.display === "none")) continue;  // grouped
          var o = mk.options, q9 = pt(mk.getLatLng());
          if (q9[0] < -20 || q9[1] < -20 || q9[0] > W + 20 || q9[1] > H + 20) continue;
          ctx.beginPath(); ctx.arc(q9[0], q9[1], o.radius, 0, 2 * Math.PI);
          ctx.globalAlpha = o.fillOpacity; ctx.fillStyle = o.fillColor; ctx.fill();
          stroke(o.color, o.weight, o.dashArray);
        }
      }
      if (map.hasLayer(app.incidentLayer)) {
        var incidentMarkers = app.incidentMarkers;
        Object.keys(incidentMarkers).forEach(function (key2) {
          var im = incidentMarkers[key2], q8 = pt(im.getLatLng());
          ctx.globalAlpha = im.options.opacity;
          S.paintDiamond(ctx, q8[0], q8[1]);
        });
        ctx.globalAlpha = 1;
        // The marks of many incidents, as the map paints them.
        if (app.paintClusters) {
          app.paintClusters(ctx, function (lat, lon) { return pt(L.latLng(lat, lon)); });
        }
      }
      // Labels: the ones shown on screen (after decluttering), where they are, in their font.
      app.labels.forEach(function (lab) {
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
    function snapshotFrame(ctx, W, H) {
      var curDay = app.tl.day;
      ctx.textBaseline = "alphabetic";
      // Title, date and what the image is, top left.
      var tw = Math.min(W - 24, 780);
      ctx.font = "700 16px " + FONT;
      var title = fitText(ctx, P.title, tw - 20);
      tw = Math.max(Math.min(tw, ctx.measureText(title).width + 22), 230);
      panel(ctx, 12, 12, tw, 66);
      ctx.fillStyle = "#1d1d1d"; ctx.fillText(title, 22, 34);
      ctx.font = "700 20px " + FONT;
      ctx.fillText(U.longDate(app.start + curDay * U.DAY_MS, 0), 22, 58);
      ctx.font = "italic 11px " + FONT; ctx.fillStyle = "#555";
      ctx.fillText("Screenshot of the interactive map", 22, 72);
      // Legend, bottom right.
      var rows = factions.map(function (f, j) { return [f.colour, f.label, j]; });
      rows.push(["#ffffff", "Contested", CONTESTED]);
      if (app.fronts.arc.length) rows.push([S.FRONT_COLOUR, "Front line", "front"]);
      ctx.font = "12px " + FONT;
      var lw = 0;
      rows.forEach(function (r) { lw = Math.max(lw, ctx.measureText(r[1]).width); });
      lw = Math.min(lw + 44, W / 2);
      var lh = rows.length * 18 + 12, lx = W - lw - 12, ly = H - lh - 34;
      panel(ctx, lx, ly, lw, lh);
      rows.forEach(function (r, j) {
        var cy = ly + 15 + j * 18;
        if (r[2] === "front") {
          ctx.fillStyle = S.FRONT_COLOUR; ctx.fillRect(lx + 9, cy - 1.5, 16, 3);
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
      var names = sourceNames(app.ev, app.nev, P.sources, curDay);
      ctx.font = "11px " + FONT;
      var line = creditLine(names, function (text) { return ctx.measureText(text).width > W - 20; });
      ctx.fillStyle = "rgba(255,255,255,0.92)"; ctx.fillRect(0, H - 22, W, 22);
      ctx.fillStyle = "#333"; ctx.fillText(fitText(ctx, line, W - 20), 10, H - 7);
    }
    function downloadPng() {
      var a = U.el("a");
      a.download = (P.id || "map") + "-" + app.dates[app.tl.day] + ".png";
      a.href = snapshotCanvas().toDataURL("image/png");
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
    app.bar.querySelector(".ts-download").addEventListener("click", downloadPng);
    app.snapshot = snapshotCanvas;
  }

  M.snapshot = {fitText: fitText, sourceNames: sourceNames, creditLine: creditLine,
    setup: setup};
})(window.__mapper || (window.__mapper = {}));
