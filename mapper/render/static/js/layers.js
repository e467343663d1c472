/*
 * mapper browser code, module layers: the map's panes and layers (offline base map, areas of
 * control, fronts, routes, places, labels, incidents), their restyling when the state moves,
 * and the layer control.
 *
 * build(app) adds to ``app`` what the other modules read (the layer groups, the ground's
 * geometry and fronts, painted by module ground, the layers of each route segment and place,
 * the labels) and restyleAll, restyleTouched, updateIncidents, declutter.
 */
(function (M) {
  "use strict";
  var U = M.util, S = M.styles, el = U.el, decodeLine = U.decodeLine;

  function build(app) {
    var P = app.P, map = app.map, name = app.name, style = app.style, tl = app.tl;
    var factions = app.factions, nf = app.nf, CONTESTED = app.CONTESTED;
    var places = app.places, np = app.np, cur = tl.cur, useCanvas = app.useCanvas;
    var markerStyle = style.markerStyle;
    var lineColour = style.lineColour, dashOf = style.dashOf;
    var BASE = S.BASE;
    function placePopup(p) { return M.popups.place(app, p); }
    function incidentPopup(e) { return M.popups.incident(app, e); }

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
    pane("ts-fronts", 430, false);
    function renderer(paneName) {
      return useCanvas ? new M.PatchCanvas({pane: paneName, padding: 0.1})
        : new M.QuietSVG({pane: paneName, padding: 0.1});
    }
    // Canvas: routes and places share one canvas, routes drawn first; SVG: one layer each.
    var placeRenderer = renderer("ts-places");
    var lineRenderer = useCanvas ? placeRenderer : renderer("ts-lines");
    // The base map never changes with the date: a plain renderer (the patch index of
    // PatchCanvas would only cost memory on its world-wide paths).
    var baseRenderer = useCanvas ? L.canvas({pane: "ts-base", padding: 0.1})
      : L.svg({pane: "ts-base", padding: 0.1});

    // ---- layers ---------------------------------------------------------------------------
    // Offline base map (Natural Earth; see payload basemap): rings of detail from 1:10m near
    // the data to 1:110m for the world, land filled without a stroke and its coast drawn apart
    // (the rings' cut edges are no coast); lakes, rivers, borders; country names and towns
    // (decluttered with the places' labels, which win).
    var baseLayer = L.layerGroup();
    var baseLabels = [];
    var cityMarkers = [];
    (function baseMap() {
      var bm = P.basemap || {};
      var common = {renderer: baseRenderer, pane: "ts-base", interactive: false};
      var geom = {land: [], lakes: [], coast: [], regions: [], borders: [], rivers: []};
      var prev = null;
      (bm.levels || []).forEach(function (lv) {
        function lines(list) { return (list || []).map(function (l) { return decodeLine(l, lv.scale); }); }
        var land = U.decodePolygons(lv.land || [], lv.scale);
        geom.land = geom.land.concat(land);
        geom.coast = geom.coast.concat(S.coastLines(land, lv.box, prev, 0.5 / lv.scale));
        geom.lakes = geom.lakes.concat(U.decodePolygons(lv.lakes || [], lv.scale));
        geom.borders = geom.borders.concat(lines(lv.borders));
        geom.rivers = geom.rivers.concat(lines(lv.rivers));
        prev = lv.box;
      });
      geom.regions = (bm.regions || []).map(function (l) { return decodeLine(l, 1000); });
      app.baseGeom = geom;
      if (geom.land.length) {
        // A hairline of the land colour hides the seams between rings.
        L.polygon(geom.land, L.extend({color: BASE.land, weight: 0.6, fillColor: BASE.land,
          fillOpacity: 1, className: "ts-base-land"}, common)).addTo(baseLayer);
      }
      if (geom.coast.length) {
        L.polyline(geom.coast, L.extend({color: BASE.coast, weight: 0.8,
          className: "ts-base-coast"}, common)).addTo(baseLayer);
      }
      if (geom.lakes.length) {
        L.polygon(geom.lakes, L.extend({color: BASE.coast, weight: 0.6, fillColor: BASE.sea,
          fillOpacity: 1, className: "ts-base-lakes"}, common)).addTo(baseLayer);
      }
      if (geom.rivers.length) {
        L.polyline(geom.rivers, L.extend({color: BASE.river, weight: 1.1,
          className: "ts-base-rivers"}, common)).addTo(baseLayer);
      }
      if (geom.regions.length) {
        L.polyline(geom.regions, L.extend({color: BASE.region, weight: 0.7, dashArray: "3 3",
          className: "ts-base-regions"}, common)).addTo(baseLayer);
      }
      if (geom.borders.length) {
        L.polyline(geom.borders, L.extend({color: BASE.border, weight: 1.3,
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
      // Towns and cities that are not places of the dataset: a grey dot and a name, the
      // larger ones (Natural Earth scalerank) from further out.
      var cities = bm.cities || {name: []};
      for (var c = 0; c < cities.name.length; c++) {
        var cicon = L.divIcon({html: el("span", "ts-city-text", cities.name[c]),
          className: "ts-city", iconSize: null});
        var cm = L.marker([cities.lat[c], cities.lon[c]], {icon: cicon, interactive: false,
          keyboard: false, pane: "ts-base-labels"});
        cm._tsMinZoom = cities.rank[c] <= 1 ? 0 : cities.rank[c] <= 3 ? 5 : cities.rank[c] <= 5 ? 6 : 7;
        cityMarkers.push(cm);
        baseLabels.push(cm);
      }
    })();
    // Cities show from their zoom on (the declutter skips those off the map).
    function showCities() {
      var z = map.getZoom();
      cityMarkers.forEach(function (cm) {
        if (z >= cm._tsMinZoom) { if (!baseLayer.hasLayer(cm)) baseLayer.addLayer(cm); }
        else if (baseLayer.hasLayer(cm)) baseLayer.removeLayer(cm);
      });
    }
    showCities();
    map.on("zoomend", showCities);
    var routeLayer = L.layerGroup();
    var placeLayer = L.layerGroup();
    var labelLayer = L.layerGroup();
    var incidentLayer = L.layerGroup();

    // Areas and fronts: painted from the model's atoms by module ground, one path a holder
    // (areas see-through in their pane, CSS), the fronts above them.
    var G = M.ground, atoms = P.atoms, acur = app.atl.cur;
    var geom = G.geometry(U.decodeArcs(atoms.arcs, atoms.arc_size, 1000),
      U.unpackRings(atoms.rings));
    var fronts = geom.fronts;
    var frontWeight = np > 2000 ? 2 : 3.5;
    function later() { return !app.started; }
    var areaLayer = new G.Layer({pane: "ts-areas", padding: 0.1, later: later, raster: "areas", pad: 1,
      paint: function (ctx, view) {
        G.paintAreas(ctx, geom, acur, style.areaFill, view);
      }});
    // The fronts' lines reach up to their width (mitres, ends run on) about the atoms' edges.
    var frontLayer = new G.Layer({pane: "ts-fronts", padding: 0.1, later: later, raster: "fronts",
      pad: 2 * frontWeight + 1,
      paint: function (ctx, view) {
        if (app.paintComparison) app.paintComparison(ctx, view);
        if (G.paintFrontRaster(ctx, geom, acur, S.frontShown, view, S.FRONT_COLOUR)) return;
        var shown = G.shownFronts(fronts, acur, S.frontShown);
        G.paintFronts(ctx, geom, fronts, G.cullFronts(geom, fronts, shown, view, 4 * frontWeight),
          view, S.FRONT_COLOUR, frontWeight);
      }});

    // Routes: each segment as two halves (coloured by its two ends) and a cut mark between.
    var segs = P.segments, segLayers = new Array(segs.a.length);
    // The segments of each place: place p's are segOf[segFirst[p] .. segFirst[p + 1] - 1]
    // (typed arrays: a jump at 50,000 places read an array a place)
    var segFirst = new Int32Array(np + 1), segOf, so;
    for (so = 0; so < segs.a.length; so++) {
      if (segs.a[so] >= 0) segFirst[segs.a[so] + 1]++;
      if (segs.b[so] >= 0 && segs.b[so] !== segs.a[so]) segFirst[segs.b[so] + 1]++;
    }
    for (so = 0; so < np; so++) segFirst[so + 1] += segFirst[so];
    segOf = new Int32Array(segFirst[np]);
    var segAt = segFirst.slice(0, np);
    for (so = 0; so < segs.a.length; so++) {
      if (segs.a[so] >= 0) segOf[segAt[segs.a[so]]++] = so;
      if (segs.b[so] >= 0 && segs.b[so] !== segs.a[so]) segOf[segAt[segs.b[so]]++] = so;
    }
    function routeTooltip(s) {
      return el("span", null, P.routes.name[segs.route[s]]);
    }
    for (var s = 0; s < segs.a.length; s++) {
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
    // On a phone the popup stays compact (at most half the map's height, narrower) and
    // clear of the layers button at the top right (autoPanPaddingTopLeft).
    var mapSize = map.getSize(), small = mapSize.x < 560;
    var popupOptions = {maxWidth: small ? Math.min(300, mapSize.x - 70) : 340,
      minWidth: small ? 180 : 220, autoPanPadding: [20, 20], autoPanPaddingTopLeft: [20, 64],
      maxHeight: small ? Math.max(150, Math.round(mapSize.y * 0.4)) : Math.max(220, mapSize.y - 90),
      className: small ? "ts-popup-compact" : ""};
    var markers = new Array(np);
    // Many places: smaller dots, so neighbours and the areas under them stay visible.
    var radiusScale = np > 2000 ? 0.55 : np > 500 ? 0.75 : 1;
    var labels = [];
    function kindOf(i) { return P.kinds[places.kind[i]]; }
    for (var i = 0; i < np; i++) {
      var kind = kindOf(i);
      var latlng = [places.lat[i], places.lon[i]];
      if (places.marker[i]) {
        var r = (S.RADIUS[kind] || S.DEFAULT_RADIUS) * radiusScale;
        // A shape per side (styles.SHAPES), so colour is not the only cue.
        var m = S.shapeMarker(latlng, L.extend({renderer: placeRenderer, pane: "ts-places",
          radius: r, bubblingMouseEvents: false, className: "ts-place"}, markerStyle(cur[i])));
        m.bindPopup(placePopup.bind(null, i), popupOptions);
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
          labels.push({i: i, layer: m, rank: M.labels.rank(kind, main), pop: places.population[i]});
        }
      } else {
        var textEl = el("span", "ts-region-text", places.name[i]);
        var lm = L.marker(latlng, {icon: L.divIcon({html: textEl, className: "ts-region ts-region-" + kind,
          iconSize: null}), interactive: false, keyboard: false, pane: "ts-places"});
        lm.addTo(labelLayer);
        labels.push({i: i, layer: lm, rank: M.labels.rank(kind, true), region: true});
      }
    }
    for (var bl = 0; bl < baseLabels.length; bl++) {
      labels.push({i: np + bl, layer: baseLabels[bl], rank: M.labels.LABEL_RANK_BASE, region: true});
    }
    labels.sort(M.labels.byRank);

    baseLayer.addTo(map);
    areaLayer.addTo(map);
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
      for (var si2 = 0; si2 < segLayers.length; si2++) {
        var ends = {"data-route": P.routes.id[segs.route[si2]],
          "data-a": segs.a[si2] >= 0 ? places.id[segs.a[si2]] : "",
          "data-b": segs.b[si2] >= 0 ? places.id[segs.b[si2]] : ""};
        for (var part = 0; part < 3; part++) tag(segLayers[si2][part], ends);
      }
    }

    // ---- restyling ------------------------------------------------------------------------
    function styleSegment(s2) {
      var a = segs.a[s2] >= 0 ? cur[segs.a[s2]] : -1;
      var b = segs.b[s2] >= 0 ? cur[segs.b[s2]] : -1;
      var lay = segLayers[s2], ends2 = S.segmentEnds(a, b);
      lay[0].setStyle({color: lineColour(ends2[0]), dashArray: dashOf(ends2[0])});
      lay[1].setStyle({color: lineColour(ends2[1]), dashArray: dashOf(ends2[1])});
      lay[2].setStyle({stroke: ends2[2], fill: ends2[2]});
    }
    function stylePlace(p) {
      if (markers[p]) {
        markers[p].setStyle(markerStyle(cur[p]));
        var path = !useCanvas && markers[p]._path;
        if (path && path._tsHolder !== cur[p]) {
          path._tsHolder = cur[p];
          path.setAttribute("data-controller", style.controllerId(cur[p], ""));
          path.setAttribute("data-shape", style.shapeOf(cur[p]));
        }
      }
    }
    function restyleAll() {
      for (var p = 0; p < np; p++) stylePlace(p);
      areaLayer.refresh();
      frontLayer.refresh();
      for (var s2 = 0; s2 < segLayers.length; s2++) styleSegment(s2);
    }
    var stampNow = 0;
    var segStamp = new Int32Array(segLayers.length);
    // Restyle the places and atoms that changed (from moveTo), their fronts and routes.
    function restyleTouched(touched, atomsTouched) {
      stampNow++;
      for (var t = 0; t < touched.length; t++) {
        var p = touched[t];
        stylePlace(p);
        for (var b = segFirst[p]; b < segFirst[p + 1]; b++) {
          var sg = segOf[b];
          if (segStamp[sg] !== stampNow) { segStamp[sg] = stampNow; styleSegment(sg); }
        }
      }
      // The ground is painted once a frame, within the boxes of the atoms that changed (the
      // canvas layer paints whole when they are many or large).
      if (atomsTouched && atomsTouched.length) {
        // (the list is an Int32Array: its own map would make the boxes numbers)
        var boxes = atomsTouched.length > G.MAX_BOXES ? null :
          Array.prototype.map.call(atomsTouched, function (k) { return geom.box[k]; });
        areaLayer.refreshBoxes(boxes);
        frontLayer.refreshBoxes(boxes);
      }
      if (app.compare) app.compare.update();
    }

    // Incidents (events that change no control): a small diamond on its day at full
    // strength, fading over the following days (app.incidentDays in all), then gone.
    var ev = app.ev, incidentsOn = app.incidentsOn, incidentDays = app.incidentDays;
    var incidentMarkers = {};
    // Each a path of one SVG of their own, above the places (as Leaflet markers, each was an
    // element, a compositor layer and a restyle of the page: a phone's step with a few
    // incidents took ~3.6 ms more than one without them).
    pane("ts-incidents", 600, false);
    var incidentRenderer = new M.QuietSVG({pane: "ts-incidents", padding: 0.1});
    // On the map from the start when there are incidents: the first one shown then finds it
    // ready (made then, it was most of a phone's first step with an incident).
    if (app.incidentsOn.some(function (list) { return list && list.length; })) {
      map.addLayer(incidentRenderer);
    }
    function incidentMarker(e3) {
      var m2 = new S.IncidentMark([places.lat[ev.place[e3]], places.lon[ev.place[e3]]],
        {renderer: incidentRenderer, pane: "ts-incidents", className: "ts-incident"});
      m2._tsTitle = P.event_kinds[ev.kind[e3]] + ": " + places.name[ev.place[e3]];
      m2.bindPopup(incidentPopup.bind(null, e3), popupOptions);
      return m2;
    }
    // Many incidents at once (an ACLED import): one mark per screen cell of the zoom (module
    // incidents), sized by how many it stands for, faded by the age of its newest; a click
    // opens the incident, or zooms in on a mark of several. The marks are painted on a canvas
    // of their own, above the places: as a hundred Leaflet markers (one element and one
    // compositor layer each, moved, faded and retitled every day) they were a third of a
    // day's step at 50,000 places. Clicks and the pointer's title are found by a hit test on
    // the map (the canvas lets the pointer through to the places under it).
    var CLUSTER_FROM = 80, I = M.incidents;
    var incLat = null, incLon = null, clusters = null, incidentPopupOf = -1;
    var clusterCanvas = new G.Layer({pane: "ts-incidents", padding: 0.1, later: later,
      paint: function (ctx) {
        paintClusters(ctx, function (lat, lon) {
          var q = map.latLngToLayerPoint([lat, lon]);
          return [q.x, q.y];
        });
      }});
    function clearClusters() {
      if (!clusters) return;
      clusters = null;
      clusterCanvas.refresh();
    }
    // Paint the marks where pt(lat, lon) puts them ([x, y] on ctx): a disc with the count, or
    // the diamond of one incident up and right of its place (as a single incident's marker).
    function paintClusters(ctx, pt) {
      var c = clusters;
      if (!c) return;
      ctx.save();
      ctx.font = "600 11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      for (var k = 0; k < c.count.length; k++) {
        if (!(c.alpha[k] > 0)) continue;
        var q = pt(c.lat[k], c.lon[k]), n = c.count[k];
        ctx.globalAlpha = c.alpha[k];
        if (n > 1) {
          var r = I.radius(n, I.CELL_PX);
          ctx.beginPath();
          ctx.arc(q[0], q[1], r - 0.75, 0, 2 * Math.PI);
          ctx.fillStyle = "rgba(230, 159, 0, 0.85)";
          ctx.fill();
          ctx.lineWidth = 1.5;
          ctx.strokeStyle = "#5a3d00";
          ctx.stroke();
          ctx.fillStyle = "#1a1a1a";
          ctx.fillText(I.label(n), q[0], q[1] + 0.5);
        } else {
          S.paintDiamond(ctx, q[0], q[1]);
        }
      }
      ctx.restore();
    }
    function markTitle(k) {
      var n = clusters.count[k], first = clusters.members[k][0];
      return n > 1 ? n + " incidents" : P.event_kinds[ev.kind[first]] + ": " +
        places.name[ev.place[first]];
    }
    // The mark under a point of the map's container (the front one), or -1.
    function markAt(x, y) {
      var c = clusters;
      if (!c || !map.hasLayer(incidentLayer)) return -1;
      for (var k = c.count.length - 1; k >= 0; k--) {
        if (!(c.alpha[k] > 0)) continue;
        var q = map.latLngToContainerPoint([c.lat[k], c.lon[k]]), dx = x - q.x, dy = y - q.y;
        if (c.count[k] > 1) {
          var r = I.radius(c.count[k], I.CELL_PX);
          if (dx * dx + dy * dy <= r * r) return k;
        } else if (Math.abs(dx - S.INCIDENT.dx) + Math.abs(dy - S.INCIDENT.dy) <= 7) {
          return k;
        }
      }
      return -1;
    }
    function openMark(k) {
      var ll = L.latLng(clusters.lat[k], clusters.lon[k]);
      if (clusters.count[k] > 1) {
        map.setView(ll, Math.min(map.getZoom() + 2, map.getMaxZoom()));
        return;
      }
      incidentPopupOf = clusters.members[k][0];
      L.popup(popupOptions).setLatLng(ll).setContent(incidentPopup(incidentPopupOf)).openOn(map);
    }
    (function hitTest() {
      var box = map.getContainer(), titled = -1;
      function at(e) {
        var q = map.mouseEventToContainerPoint(e);
        return markAt(q.x, q.y);
      }
      box.addEventListener("click", function (e) {
        if (!clusters || (map.dragging && map.dragging.moved())) return;
        var k = at(e);
        if (k < 0) return;
        e.stopPropagation();
        e.preventDefault();
        openMark(k);
      }, true);
      box.addEventListener("mousemove", function (e) {
        var k = clusters ? at(e) : -1;
        if (k === titled) return;
        titled = k;
        box.style.cursor = k < 0 ? "" : "pointer";
        if (k < 0) box.removeAttribute("title"); else box.title = markTitle(k);
      }, true);
    })();
    function drawClusters(shown) {
      if (!incLat) {
        incLat = new Float64Array(app.nev); incLon = new Float64Array(app.nev);
        for (var e = 0; e < app.nev; e++) {
          if (ev.place[e] >= 0) { incLat[e] = places.lat[ev.place[e]]; incLon[e] = places.lon[ev.place[e]]; }
        }
      }
      var cl = I.cluster(incLat, incLon, shown.shown, map.getZoom(), I.CELL_PX, shown.age);
      cl.alpha = cl.age.map(function (age) { return I.opacity(age, incidentDays); });
      clusters = cl;
      // The canvas joins the map with the first marks (a page of few incidents has none).
      if (!incidentLayer.hasLayer(clusterCanvas)) incidentLayer.addLayer(clusterCanvas);
      clusterCanvas.refresh();
    }
    function updateIncidents() {
      var shown = M.incidents.shownOn(incidentsOn, tl.day, incidentDays);
      var many = shown.shown.length > CLUSTER_FROM;
      var keep = {};
      if (many) drawClusters(shown); else clearClusters();
      // The popup of a binned incident no longer shown is closed.
      if (incidentPopupOf >= 0 && shown.shown.indexOf(incidentPopupOf) < 0) {
        incidentPopupOf = -1;
        map.closePopup();
      }
      for (var q = 0; q < (many ? 0 : shown.shown.length); q++) {
        var e4 = shown.shown[q];
        keep[e4] = true;
        var mk = incidentMarkers[e4], a = 1 - shown.age[q] / incidentDays;
        if (!mk) { mk = incidentMarkers[e4] = incidentMarker(e4); mk.addTo(incidentLayer); }
        if (mk.options.opacity !== a) mk.setStyle({opacity: a, fillOpacity: a});
      }
      for (var key in incidentMarkers) {
        if (!keep[key]) { incidentLayer.removeLayer(incidentMarkers[key]); delete incidentMarkers[key]; }
      }
      app.incidentMarks = many ? clusters.count.length : shown.shown.length;
    }
    map.on("zoomend", function () {
      if (clusters) updateIncidents();
    });

    // ---- labels ---------------------------------------------------------------------------
    // Base-map names far off the map (most of the world's countries and towns) are not
    // displayed: each would be a compositor layer of its own, worked on in every frame (on a
    // phone, a few ms of every slider step). Within OFF_VIEW map sizes of the view they are,
    // so a drag shows the names it brings in; every move sets which are displayed.
    var OFF_VIEW = 0.5;
    function cullBase(all) {
      var size = map.getSize(), mx = OFF_VIEW * size.x, my = OFF_VIEW * size.y;
      for (var k = 0; k < baseLabels.length; k++) {
        var mk = baseLabels[k], node = mk._map && mk.getElement();
        if (!node) continue;
        var off = false;
        if (!all) {
          var p = map.latLngToContainerPoint(mk.getLatLng());
          off = p.x < -mx || p.x > size.x + mx || p.y < -my || p.y > size.y + my;
        }
        if (node.style.display !== (off ? "none" : "")) node.style.display = off ? "none" : "";
      }
    }
    // Every name is placed with all the others displayed (a name brought in by a drag was
    // decluttered with its neighbours), then the far ones are put away.
    function declutter() {
      cullBase(true);
      M.labels.batch(function () { M.labels.declutter(labels, map); });
      cullBase(false);
    }
    map.on("moveend", function () { cullBase(false); });
    function zoomClass() {
      map.getContainer().classList.toggle("ts-zoomed-in",
        map.getZoom() >= P.view.zoom + M.labels.MINOR_LABEL_ZOOM);
    }
    map.on("zoomend", function () { zoomClass(); declutter(); });
    zoomClass();

    // A step draws its canvases at once, in the task that changed the date, rather than in
    // the next animation frame: that frame then only shows them. A key press or a tap would
    // otherwise wait up to a frame before the drawing even starts; the slider's pointer
    // moves come at the start of a frame anyway. At most once a frame: a second step in
    // the same frame leaves its drawing to that frame's redraw, as before.
    var stepCanvases = [areaLayer, frontLayer, clusterCanvas];
    if (useCanvas) stepCanvases.push(placeRenderer);
    var drewThisFrame = false;
    function drawNow() {
      if (!app.started || drewThisFrame) return;
      drewThisFrame = true;
      requestAnimationFrame(function () { drewThisFrame = false; });
      for (var i = 0; i < stepCanvases.length; i++) {
        var r = stepCanvases[i];
        if (!r._redrawRequest || !r._map) continue;
        L.Util.cancelAnimFrame(r._redrawRequest);
        r._redraw();
      }
    }

    app.kindOf = kindOf;
    app.drawNow = drawNow;
    app.baseLayer = baseLayer; app.areaLayer = areaLayer; app.frontLayer = frontLayer;
    app.routeLayer = routeLayer; app.placeLayer = placeLayer; app.labelLayer = labelLayer;
    app.incidentLayer = incidentLayer;
    app.ground = geom; app.fronts = fronts;
    app.frontWeight = frontWeight; app.segLayers = segLayers; app.markers = markers;
    app.labels = labels; app.incidentMarkers = incidentMarkers;
    app.restyleAll = restyleAll; app.restyleTouched = restyleTouched;
    app.updateIncidents = updateIncidents;
    app.paintClusters = paintClusters;
    app.clusterCanvas = clusterCanvas;
    // The incident marks of many incidents: [{count, title, x, y}], (x, y) in the map's
    // container, for tests and readers of the page.
    app.incidentMarkList = function () {
      var c = clusters, out = [];
      for (var k = 0; c && k < c.count.length; k++) {
        var q = map.latLngToContainerPoint([c.lat[k], c.lon[k]]), single = c.count[k] === 1;
        out.push({count: c.count[k], title: markTitle(k), alpha: c.alpha[k],
          x: q.x + (single ? S.INCIDENT.dx : 0), y: q.y + (single ? S.INCIDENT.dy : 0)});
      }
      return out;
    };
    app.declutter = declutter; app.cullBase = cullBase;
  }

  // The layer control (every layer can be hidden), and what showing a layer again needs.
  function control(app) {
    var map = app.map;
    var overlays = {
      "Places": app.placeLayer, "Labels": app.labelLayer, "Areas of control": app.areaLayer,
      "Front lines": app.frontLayer, "Routes": app.routeLayer, "Incidents": app.incidentLayer,
      "Base map (offline)": app.baseLayer
    };
    app.layerControl = L.control.layers(null, overlays, {collapsed: true, position: "topright"})
      .addTo(map);
    map.on("overlayadd", function (e8) {
      // On a shared canvas, lines shown again are appended: keep the places on top.
      if (app.useCanvas && e8.layer === app.routeLayer && map.hasLayer(app.placeLayer)) {
        app.placeLayer.eachLayer(function (m3) { m3.bringToFront(); });
      }
      if (e8.layer === app.labelLayer || e8.layer === app.placeLayer) app.declutter();
      if (e8.layer === app.baseLayer) app.cullBase(false);  // its names were made again
    });
  }

  M.layers = {build: build, control: control};
})(window.__mapper || (window.__mapper = {}));
