/*
 * mapper browser code, module main: window.mapperTimeSlider(name, options) starts the page
 * and returns its API (window.mapper: setDate, state, dates, ...); it wires the other
 * modules through one object, ``app``, that each reads from and adds to.
 *
 * Text from the data is always put in the page with textContent, never as HTML.
 */
(function (M) {
  "use strict";
  var U = M.util;

  // The dataset's view is drawn for a window of at least SUBJECT_PX; a smaller map (a phone,
  // an embed in an article) zooms out until what that window would show fits: the subject
  // stays in view.
  // The map is moved only when the view differs from the one it shows: a move re-projects
  // and re-places every layer (on a phone, the better part of the page's start).
  var SUBJECT_PX = [720, 480];
  function fitSubject(map, view) {
    var size = map.getSize(), center = L.latLng(view.lat, view.lon), zoom = view.zoom;
    if (size.x < SUBJECT_PX[0] || size.y < SUBJECT_PX[1]) {
      var c = map.project(center, view.zoom);
      var half = L.point(SUBJECT_PX[0] / 2, SUBJECT_PX[1] / 2);
      var box = L.latLngBounds(map.unproject(c.subtract(half), view.zoom),
        map.unproject(c.add(half), view.zoom));
      var fit = map._getBoundsCenterZoom(box, {maxZoom: view.zoom});
      center = fit.center; zoom = fit.zoom;
    }
    // Within a pixel (the rounding of a resize that kept the centre): already there.
    if (map.getZoom() === zoom &&
        map.project(map.getCenter(), zoom).distanceTo(map.project(center, zoom)) < 1) return;
    map.setView(center, zoom, {animate: false});
  }

  // Start the page: ``name`` prefixes the ids of its elements (name-map, name-data, ...);
  // every text from the data reaches the page from the JSON payload, as textContent.
  // options: {canvas, incidentDays, speed}.
  function mapperTimeSlider(name, options) {
    var P = JSON.parse(document.getElementById(name + "-data").textContent);
    var app = {name: name, options: options, P: P,
      bar: document.getElementById(name + "-bar"),
      head: document.getElementById(name + "-head"),
      sourcesPanel: document.getElementById(name + "-sources"),
      incidentDays: options.incidentDays || 3, useCanvas: !!options.canvas};
    var map = app.map = L.map(name + "-map", {center: [P.view.lat, P.view.lon],
      zoom: P.view.zoom, zoomControl: true, preferCanvas: !!options.canvas});
    L.control.scale().addTo(map);
    app.head.querySelector(".ts-title").textContent = P.title;
    var descNode = app.head.querySelector(".ts-description");
    if (P.description) {
      descNode.textContent = P.description;
      descNode.title = P.description;
    } else {
      descNode.remove();
    }

    var factions = app.factions = P.factions;
    app.nf = factions.length;
    app.CONTESTED = app.nf;
    var start = app.start = U.parseDay(P.start), n = app.n = P.n;
    var dates = app.dates = new Array(n);
    for (var di = 0; di < n; di++) dates[di] = U.isoDay(start + di * U.DAY_MS);
    var places = app.places = P.places, np = app.np = places.id.length;
    var tl = app.tl = M.state.timeline(P.control, np, n);
    // The ground: the model's atoms, with a timeline of their own (see payload.py _atoms).
    var atoms = P.atoms, na = app.na = atoms.km2.length;
    var actl = {initial: atoms.control.initial, day: atoms.control.day,
      place: atoms.control.atom, after: atoms.control.after};
    var atl = app.atl = M.state.timeline(actl, na, n);
    // Days on which either places or ground change: one list for the ticks and the buttons.
    var both = {};
    tl.changeDays.concat(atl.changeDays).forEach(function (d) { both[d] = true; });
    var merged = Object.keys(both).map(Number).sort(function (a, b) { return a - b; });
    tl.changeDays.length = 0;
    Array.prototype.push.apply(tl.changeDays, merged);
    var placeChangesOn = tl.changesOn;
    tl.changesOn = function (d) { return placeChangesOn(d) + atl.changesOn(d); };
    app.sourceIndex = {};
    for (var sx = 0; sx < P.sources.id.length; sx++) app.sourceIndex[P.sources.id[sx]] = sx;
    var events = M.state.events(P.events, np, n);
    app.ev = events.ev; app.nev = events.nev; app.eventsOf = events.eventsOf;
    app.incidentsOn = events.incidentsOn; app.eventExtras = events.extras;
    var style = app.style = M.styles.create(factions);

    // Every label placed once, at the end (labels.batch).
    M.labels.batch(function () {
      // The bar first (its layout sets the map's size), then the view for that size, embedded
      // or not, then the layers (fitted again at the end, which moves nothing unless the
      // map's size changed since).
      M.controls.ticks(app);
      app.chart = M.chart.create(app);
      M.controls.setup(app);
      // The credit line is part of the layout around the map.
      app.updateCredit();
      document.documentElement.classList.toggle("ts-embed",
        U.parseHash(location.hash, location.search).embed);
      app.resized();
      fitSubject(map, P.view);
      M.layers.build(app);
      M.popups.sourcesPanel(app);
      M.popups.legend(app);
      M.layers.control(app);
      M.compare.setup(app);
      M.snapshot.setup(app);
      M.a11y.setup(app);

      // Online tiles only when the author asked for them (mapper build --tiles NAME); the page
      // then says so. Otherwise the page requests nothing: the base map is inlined.
      if (P.tiles && P.tiles.url) {
        var tiles = L.tileLayer(P.tiles.url, {attribution: P.tiles.attribution +
          " (this map loads its tiles from that server)",
          maxZoom: P.tiles.max_zoom, opacity: 0.9});
        app.layerControl.addOverlay(tiles, "Online map tiles (" + P.tiles.name + ")");
        tiles.addTo(map);
      }

      // ---- start ------------------------------------------------------------------------------
      var first = app.readHash();
      app.applyEmbed();
      fitSubject(map, P.view);
      app.restyleAll();
      var firstDay = first !== null ? app.dayOf(first) : -1;
      app.go(firstDay >= 0 ? firstDay : 0, firstDay < 0);
      if (firstDay >= 0) app.writeHash();
      app.declutter();
    });
    app.started = true;

    // Print: the map redrawn for the paper's size (no blank band where it was not drawn),
    // the legend open, every source named; as it was after.
    var legendBox = map.getContainer().querySelector(".ts-legend details"), legendWasOpen = null;
    function printing(on) {
      if (legendBox) {
        if (on && legendWasOpen === null) { legendWasOpen = legendBox.open; legendBox.open = true; }
        if (!on && legendWasOpen !== null) { legendBox.open = legendWasOpen; legendWasOpen = null; }
      }
      map.invalidateSize();
      app.areaLayer.printImage(on);
      app.frontLayer.printImage(on);
      app.clusterCanvas.printImage(on);
      app.updateCredit(on);
    }
    window.addEventListener("beforeprint", function () { printing(true); });
    window.addEventListener("afterprint", function () { printing(false); });
    var printQuery = window.matchMedia && window.matchMedia("print");
    if (printQuery && printQuery.addEventListener) {
      printQuery.addEventListener("change", function (e) { printing(e.matches); });
    }

    return {
      dates: dates.slice(),
      date: function () { return dates[tl.day]; },
      setDate: function (text) {
        var d = app.dayOf(String(text));
        if (d < 0) return Promise.reject(new RangeError("date outside the slider: " + text));
        app.go(d);
        return new Promise(app.afterDraw);
      },
      state: function () {
        var out = {};
        for (var j = 0; j < np; j++) out[places.id[j]] = style.controllerId(tl.cur[j], null);
        return out;
      },
      // The holder the page paints on each atom of ground ("no-data" where none), the fronts
      // drawn (pairs of atoms), and the holder painted at a point (null: outside the ground).
      ground: function () {
        return Array.prototype.map.call(atl.cur, function (c) {
          return style.controllerId(c, "no-data");
        });
      },
      fronts: function () {
        var f = app.fronts;
        return M.ground.shownFronts(f, atl.cur, M.styles.frontShown).map(function (e) {
          return [f.a[e], f.b[e]];
        });
      },
      holderAt: function (lat, lon) {
        var k = M.ground.atomAt(app.ground, Number(lat), Number(lon));
        return k < 0 ? null : style.controllerId(atl.cur[k], "no-data");
      },
      // How many incident marks are on the map (one per incident, or per screen cell when
      // there are many).
      incidentMarks: function () { return app.incidentMarks || 0; },
      // The marks of many incidents (one per screen cell): [{count, title, alpha, x, y}], x
      // and y where the mark is drawn in the map's box.
      incidentMarkList: function () { return app.incidentMarkList(); },
      play: function () { app.setPlaying(true); },
      pause: function () { app.setPlaying(false); },
      playing: function () { return app.playing(); },
      changeDates: function () { return tl.changeDays.map(function (d) { return dates[d]; }); },
      snapshot: app.snapshot,
      // Compare with an earlier day: compare.set("2024-11-26"), compare.rows() ->
      // [[holder code, gained km², lost km², net km²]], compare.moved() -> atoms, clear().
      compare: {set: app.compare.set, clear: app.compare.clear, rows: app.compare.rows,
        moved: app.compare.moved},
      map: map,
      layers: {places: app.placeLayer, labels: app.labelLayer, areas: app.areaLayer,
        fronts: app.frontLayer, routes: app.routeLayer, incidents: app.incidentLayer,
        base: app.baseLayer}
    };
  }

  window.mapperTimeSlider = mapperTimeSlider;
  // Pure helpers, for tests.
  mapperTimeSlider.helpers = {parseDay: U.parseDay, isoDay: U.isoDay, longDate: U.longDate,
    decodeLine: U.decodeLine, mergePatches: U.mergePatches, thousands: U.thousands};
})(window.__mapper || (window.__mapper = {}));
