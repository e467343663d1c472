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
    var areaLayer = new G.Layer({pane: "ts-areas", padding: 0.1, later: later, raster: "areas",
      paint: function (ctx, view) {
        G.paintAreas(ctx, geom, acur, style.areaFill, view);
      }});
    var frontLayer = new G.Layer({pane: "ts-fronts", padding: 0.1, later: later, raster: "fronts",
      paint: function (ctx, view) {
        if (app.paintComparison) app.paintComparison(ctx, view);
        if (G.paintFrontRaster(ctx, geom, acur, S.frontShown, view, S.FRONT_COLOUR)) return;
        G.paintFronts(ctx, geom, fronts, G.shownFronts(fronts, acur, S.frontShown), view,
          S.FRONT_COLOUR, frontWeight);
      }});

    // Routes: each segment as two halves (coloured by its two ends) and a cut mark between.
    var segs = P.segments, segLayers = new Array(segs.a.length);
    var segsOf = new Array(np);
    for (var so = 0; so < np; so++) segsOf[so] = [];
    function routeTooltip(s) {
      return el("span", null, P.routes.name[segs.route[s]]);
    }
    for (var s = 0; s < segs.a.length; s++) {
      if (segs.a[s] >= 0) segsOf[segs.a[s]].push(s);
      if (segs.b[s] >= 0 && segs.b[s] !== segs.a[s]) segsOf[segs.b[s]].push(s);
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
        var ss = segsOf[p];
        for (var b = 0; b < ss.length; b++) {
          if (segStamp[ss[b]] !== stampNow) { segStamp[ss[b]] = stampNow; styleSegment(ss[b]); }
        }
      }
      // The ground is painted whole (one path a holder), once a frame.
      if (atomsTouched && atomsTouched.length) { areaLayer.refresh(); frontLayer.refresh(); }
      if (app.compare) app.compare.update();
    }

    // Incidents (events that change no control): a small diamond on its day at full
    // strength, fading over the following days (app.incidentDays in all), then gone.
    var ev = app.ev, incidentsOn = app.incidentsOn, incidentDays = app.incidentDays;
    var incidentMarkers = {};
    function incidentMarker(e3) {
      // Up and right of the place, so the place's own marker stays clickable.
      var icon = L.divIcon({className: "ts-incident", iconSize: [12, 12], iconAnchor: [-3, 15],
        html: el("span", "ts-incident-mark")});
      var m2 = L.marker([places.lat[ev.place[e3]], places.lon[ev.place[e3]]], {icon: icon,
        keyboard: false, title: P.event_kinds[ev.kind[e3]] + ": " + places.name[ev.place[e3]]});
      m2.bindPopup(incidentPopup.bind(null, e3), popupOptions);
      return m2;
    }
    // Many incidents at once (an ACLED import): one mark per screen cell of the zoom (module
    // incidents), sized by how many it stands for, faded by the age of its newest; a click
    // opens the incident, or zooms in on a mark of several. A cell's mark is kept from day to
    // day and only what changed is written: removing and adding a hundred markers a day had
    // Leaflet walk the map's event lists for each (a third of a day's step at 50,000 places).
    var CLUSTER_FROM = 80;
    var incLat = null, incLon = null, clusterMarks = {}, clusterCount = 0;
    var ClusterMark = L.Marker.extend({
      _openPopup: function (e) {
        if (this._tsCount === 1) return L.Marker.prototype._openPopup.call(this, e);
        map.setView(this.getLatLng(), Math.min(map.getZoom() + 2, map.getMaxZoom()));
      }
    });
    function clearClusters() {
      for (var key in clusterMarks) incidentLayer.removeLayer(clusterMarks[key]);
      clusterMarks = {};
      clusterCount = 0;
    }
    // The icon of a mark of n incidents: a disc with the count, or the mark of one.
    function clusterIcon(n) {
      var r = M.incidents.radius(n, M.incidents.CELL_PX);
      return n > 1 ? {iconSize: [2 * r, 2 * r], iconAnchor: [r, r], size: Math.round(2 * r) + "px",
        text: M.incidents.label(n), className: "ts-incident-cluster"}
        : {iconSize: [12, 12], iconAnchor: [-3, 15], size: "", text: "", className: "ts-incident-mark"};
    }
    // Write a mark's look, place, fading and title where they changed.
    function fillMark(m, n, first, latlng, opacity) {
      var look = clusterIcon(n), span = m._tsSpan, box = m._icon;
      if (span.textContent !== look.text || span.className !== look.className) {
        span.className = look.className;
        span.textContent = look.text;
        span.style.width = span.style.height = span.style.lineHeight = look.size;
        L.extend(m.options.icon.options, {iconSize: look.iconSize, iconAnchor: look.iconAnchor});
        if (box) {  // as Leaflet's DivIcon sets them
          box.style.marginLeft = -look.iconAnchor[0] + "px";
          box.style.marginTop = -look.iconAnchor[1] + "px";
          box.style.width = look.iconSize[0] + "px";
          box.style.height = look.iconSize[1] + "px";
        }
      }
      if (m._tsCount !== n || m._tsFirst !== first) {
        if (m.isPopupOpen()) m.closePopup();  // it showed another incident
        m._tsCount = n;
        m._tsFirst = first;
        m.options.title = n > 1 ? n + " incidents" : P.event_kinds[ev.kind[first]] + ": " +
          places.name[ev.place[first]];
        if (box) box.title = m.options.title;
      }
      if (!m.getLatLng().equals(latlng, 0)) m.setLatLng(latlng);
      if (m.options.opacity !== opacity) m.setOpacity(opacity);
    }
    function drawClusters(shown) {
      if (!incLat) {
        incLat = new Float64Array(app.nev); incLon = new Float64Array(app.nev);
        for (var e = 0; e < app.nev; e++) {
          if (ev.place[e] >= 0) { incLat[e] = places.lat[ev.place[e]]; incLon[e] = places.lon[ev.place[e]]; }
        }
      }
      var I = M.incidents, cl = I.cluster(incLat, incLon, shown.shown, map.getZoom(), I.CELL_PX,
        shown.age);
      var before = clusterMarks, spare = [], fresh = [], k, key;
      clusterMarks = {};
      for (k = 0; k < cl.count.length; k++) {
        if (before[cl.cell[k]]) { clusterMarks[cl.cell[k]] = before[cl.cell[k]]; delete before[cl.cell[k]]; }
      }
      for (key in before) spare.push(before[key]);  // the marks of cells emptied: used again
      for (k = 0; k < cl.count.length; k++) {
        var m3 = clusterMarks[cl.cell[k]], latlng = L.latLng(cl.lat[k], cl.lon[k]);
        if (!m3 && !(m3 = spare.pop())) {
          var span = el("span");
          m3 = new ClusterMark(latlng, {icon: L.divIcon({className: "ts-incident", html: span}),
            keyboard: false});
          m3._tsSpan = span;
          m3.bindPopup(function (mark) { return incidentPopup(mark._tsFirst); }, popupOptions);
          fresh.push(m3);
        }
        clusterMarks[cl.cell[k]] = m3;
        fillMark(m3, cl.count[k], cl.members[k][0], latlng, I.opacity(cl.age[k], incidentDays));
      }
      for (k = 0; k < spare.length; k++) incidentLayer.removeLayer(spare[k]);
      for (k = 0; k < fresh.length; k++) fresh[k].addTo(incidentLayer);
      clusterCount = cl.count.length;
    }
    function updateIncidents() {
      var shown = M.incidents.shownOn(incidentsOn, tl.day, incidentDays);
      var many = shown.shown.length > CLUSTER_FROM;
      var keep = {};
      if (many) drawClusters(shown); else clearClusters();
      for (var q = 0; q < (many ? 0 : shown.shown.length); q++) {
        var e4 = shown.shown[q];
        keep[e4] = true;
        var mk = incidentMarkers[e4];
        if (!mk) { mk = incidentMarkers[e4] = incidentMarker(e4); mk.addTo(incidentLayer); }
        mk.setOpacity(1 - shown.age[q] / incidentDays);
      }
      for (var key in incidentMarkers) {
        if (!keep[key]) { incidentLayer.removeLayer(incidentMarkers[key]); delete incidentMarkers[key]; }
      }
      app.incidentMarks = many ? clusterCount : shown.shown.length;
    }
    map.on("zoomend", function () {
      if (clusterCount) updateIncidents();
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
    var stepCanvases = [areaLayer, frontLayer];
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
    app.updateIncidents = updateIncidents; app.declutter = declutter; app.cullBase = cullBase;
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
