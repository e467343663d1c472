/*
 * mapper browser code, module a11y: the map for keyboard and screen-reader users.
 *
 * - Each place's dot is a button in the tab order (SVG maps): Enter or Space opens its popup,
 *   focus shows its name even where the label gave way.
 * - Escape closes the sources panel, else the open popup (focus goes back where it was).
 * - A visually hidden live region says who holds what on the shown date (summary: the same
 *   words as ``mapper snapshot --alt``, see mapper/summary.py), rewritten when the date
 *   settles (not on every day while playing).
 */
(function (M) {
  "use strict";
  var U = M.util;
  var KEY_PLACES = 4;  // names per side before "and N more" (mapper.summary.KEY_PLACES)
  var KIND_ORDER = {capital: 0, city: 1, town: 2};  // mapper.summary._KIND_ORDER
  var LABEL_ONLY = {region: true, country: true};  // mapper.snapshot.LABEL_ONLY_KINDS
  // The summary waits until the date has stayed SETTLE_MS while playing, else QUIET_MS (not
  // on every step of a drag).
  var SETTLE_MS = 600, QUIET_MS = 150;

  // "A", "A and B", "A, B and C"; past KEY_PLACES: "A, B, C, D and 3 more".
  // ``count``: how many the list stands for (default: its length; it may hold only the first).
  function names(list, count) {
    var shown = list.slice(0, KEY_PLACES), rest = (count === undefined ? list.length : count) -
      KEY_PLACES;
    if (rest > 0) return shown.join(", ") + " and " + rest + " more";
    if (shown.length === 1) return shown[0];
    return shown.slice(0, -1).join(", ") + " and " + shown[shown.length - 1];
  }
  // Place order within a side: capital, city, town, others; larger population; name.
  function byKey(a, b) {
    return a.order - b.order || b.pop - a.pop || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }
  // The paragraph for one day: dateText, side labels, km² per side, and per side the places
  // it holds ({name, kind, pop}); formatArea as the chart's.
  // The KEY_PLACES first places of a list in byKey's order, as sorting it all would give
  // them (a side of an ACLED-sized map holds tens of thousands).
  function firstByKey(held) {
    var top = [];
    for (var i = 0; i < held.length; i++) {
      var p = held[i], q = {name: p.name, pop: p.pop || 0,
        order: KIND_ORDER[p.kind] !== undefined ? KIND_ORDER[p.kind] : 3};
      if (top.length === KEY_PLACES && byKey(q, top[KEY_PLACES - 1]) >= 0) continue;
      var k = Math.min(top.length, KEY_PLACES - 1);
      while (k > 0 && byKey(q, top[k - 1]) < 0) k--;
      top.splice(k, 0, q);
      if (top.length > KEY_PLACES) top.pop();
    }
    return top;
  }
  function summary(dateText, labels, km2, held, formatArea) {
    var total = 0, parts = [dateText + "."];
    for (var j = 0; j < km2.length; j++) total += km2[j];
    for (j = 0; j < labels.length; j++) {
      var list = firstByKey(held[j]).map(function (p) { return p.name; });
      if (!(km2[j] > 0) && !list.length) continue;
      var text = labels[j];
      if (total > 0) {
        text += ": " + formatArea(km2[j]) + " (" + Math.round(100 * km2[j] / total) + "%)";
      }
      if (list.length) text += (total > 0 ? ", including " : ": ") + names(list, held[j].length);
      parts.push(text + ".");
    }
    return parts.join(" ");
  }

  function setup(app) {
    var map = app.map, P = app.P, places = app.places, np = app.np, tl = app.tl;
    var container = map.getContainer();
    container.setAttribute("aria-label", "Map of " + P.title +
      ". Arrow keys pan the map, plus and minus zoom; Tab reaches each place.");
    container.setAttribute("aria-roledescription", "map");

    // ---- places as buttons -------------------------------------------------------------
    var markers = app.markers || [];
    for (var i = 0; i < np; i++) {
      var m = markers[i], path = m && m._path;
      if (!path) continue;
      path.setAttribute("tabindex", path.style.display === "none" ? "-1" : "0");
      path.setAttribute("role", "button");
      path.setAttribute("aria-label", places.name[i] + " (" + P.kinds[places.kind[i]] + ")");
      path.addEventListener("keydown", (function (mk) {
        return function (event) {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();
          event.stopPropagation();
          mk.openPopup();
          var box = mk.getPopup() && mk.getPopup().getElement();
          var content = box && box.querySelector(".leaflet-popup-content");
          if (content) { content.setAttribute("tabindex", "-1"); content.focus(); }
        };
      })(m));
      M.labels.reveal(m);
    }

    // ---- Escape ------------------------------------------------------------------------
    var returnTo = null;
    // A popup's headings (h3, h4) read as the levels under the page's title (h1).
    function levelHeadings(popup) {
      var box = popup.getElement();
      if (!box) return;
      var hs = box.querySelectorAll("h3, h4");
      for (var h = 0; h < hs.length; h++) {
        hs[h].setAttribute("aria-level", hs[h].tagName === "H3" ? "2" : "3");
      }
    }
    map.on("popupopen", function (e) {
      returnTo = document.activeElement;
      var close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", "Close popup");
      levelHeadings(e.popup);
      if (!e.popup._tsLevels) {
        e.popup._tsLevels = true;
        e.popup.on("contentupdate", function () { levelHeadings(e.popup); });
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var panel = app.sourcesPanel;
      if (panel && !panel.hidden) {
        app.head.querySelector(".ts-sources-toggle").click();
        app.head.querySelector(".ts-sources-toggle").focus();
        event.preventDefault();
        return;
      }
      if (map._popup && map._popup.isOpen()) {
        var back = returnTo;
        map.closePopup();
        if (back && back.focus && document.contains(back)) back.focus();
        event.preventDefault();
      }
    });

    // ---- what the map shows, in words ----------------------------------------------------
    var live = U.el("p", "ts-sr ts-summary");
    live.id = app.name + "-summary";
    live.setAttribute("aria-live", "polite");
    container.parentNode.appendChild(live);
    var T = P.territory, data = T && T.sides.length ? M.chart.series(T, app.n, app.factions) : null;
    var sides = data ? data.sides : app.factions.map(function (f) { return {id: f.id, label: f.label}; })
      .concat([{id: "contested", label: "Contested"}, {id: "unknown", label: "No data"}]);
    var ns = sides.length, CONTESTED = app.CONTESTED;
    function text(d) {
      var held = [], km2 = [];
      for (var s = 0; s < ns; s++) { held.push([]); km2.push(data ? data.km2[d * ns + s] : 0); }
      var cur = tl.cur;
      for (var p = 0; p < np; p++) {
        var kind = P.kinds[places.kind[p]];
        if (LABEL_ONLY[kind]) continue;
        var c = cur[p], side = c >= 0 && c <= CONTESTED ? c : ns - 1;
        held[side].push({name: places.name[p], kind: kind, pop: places.population[p]});
      }
      return summary(U.longDate(app.start + d * U.DAY_MS, 0), sides.map(function (x) {
        return x.label;
      }), km2, held, M.chart.formatArea);
    }
    function update() {
      var t = text(tl.day);
      if (live.textContent !== t) live.textContent = t;
      if (app.updateCredit) app.updateCredit();
    }
    window.addEventListener("resize", function () { if (app.updateCredit) app.updateCredit(); });
    var later = U.settle(update, function () {
      return app.playing && app.playing() ? SETTLE_MS : QUIET_MS;
    });
    app.onDay = later.poke;
    app.summary = function () { return text(tl.day); };
    update();
  }

  M.a11y = {names: names, summary: summary, setup: setup};
})(window.__mapper || (window.__mapper = {}));
