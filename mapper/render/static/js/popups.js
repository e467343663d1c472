/*
 * mapper browser code, module popups: a place's popup (its history of control, the events of
 * the shown day, its columns, its sources), an incident's popup, the sources panel and the
 * legend. Every text from the data goes in as textContent (util.el, util.link).
 */
(function (M) {
  "use strict";
  var U = M.util, el = U.el, link = U.link, longDate = U.longDate, DAY_MS = U.DAY_MS;

  // "5 December 2024", "December 2024" or "2024", as precise as the source of event e.
  function eventDate(app, e) { return longDate(app.start + app.ev.day[e] * DAY_MS, app.ev.prec[e]); }
  // A column name as a reader would write it: "source_id" -> "Source",
  // "casualties_note" -> "Casualties note". No DOM.
  function humanise(col) {
    var words = String(col).replace(/[_\-]+/g, " ").replace(/\s+/g, " ").trim()
      .replace(/ id$/i, "").replace(/^id$/i, "identifier");
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : String(col);
  }
  // A <dl> of [column, text] pairs with text, or null.
  function extraList(pairs) {
    var dl = el("dl", "ts-extra");
    pairs.forEach(function (pair) {
      if (!pair[1]) return;
      dl.appendChild(el("dt", null, humanise(pair[0])));
      dl.appendChild(el("dd", null, pair[1]));
    });
    return dl.childNodes.length ? dl : null;
  }
  // A source's publication date, as precise as given (text that is no date: as it is).
  function sourceDate(sources, si) {
    var text = sources.published[si], prec = sources.published_prec;
    var ms = U.parseDay(text);
    if (!text || isNaN(ms)) return text || "";
    return longDate(ms, prec ? prec[si] : 0);
  }
  // "Publisher, 1 December 2024", either part alone, or "".
  function sourceMeta(sources, si) {
    var when = sourceDate(sources, si), who = sources.publisher[si];
    return who && when ? who + ", " + when : who || when;
  }
  function sourceExtras(sources, si) {
    var ex = sources.extra || {};
    return extraList(Object.keys(ex).map(function (col) { return [col, ex[col][si]]; }));
  }
  function sourceLine(app, si) {
    var sources = app.P.sources, li = el("li", "ts-source");
    li.appendChild(link(sources.url[si], sources.title[si]));
    var meta = sourceMeta(sources, si);
    if (meta) li.appendChild(el("span", "ts-source-meta", " (" + meta + ")"));
    var extra = sourceExtras(sources, si);
    if (extra) li.appendChild(extra);
    return li;
  }
  function eventItem(app, e6, withDate) {
    var P = app.P, ev = app.ev, li = el("li", "ts-event");
    var kindText = P.event_kinds[ev.kind[e6]];
    if (withDate) li.appendChild(el("span", "ts-event-date", eventDate(app, e6) + ": "));
    li.appendChild(el("span", "ts-event-kind", kindText));
    if (ev.ctl[e6] >= 0) {
      li.appendChild(el("span", "ts-event-kind", " → " + app.style.controllerLabel(ev.ctl[e6])));
    }
    li.appendChild(el("div", "ts-event-desc", ev.texts[ev.desc[e6]]));
    var extra = app.eventExtras[e6] ? extraList(app.eventExtras[e6]) : null;
    if (extra) li.appendChild(extra);
    if (ev.src[e6] >= 0) {
      var src = el("div", "ts-event-source", "Source: ");
      var si = ev.src[e6];
      src.appendChild(link(P.sources.url[si], P.sources.title[si]));
      var meta = sourceMeta(P.sources, si);
      if (meta) src.appendChild(document.createTextNode(" (" + meta + ")"));
      li.appendChild(src);
    }
    return li;
  }
  // A place's history of control on ``day``, from its events (ids, in date order):
  // [{text, current, sources}], e.g. "HTS since 29 November 2024", with the sources (indexes)
  // of the events that record the change: the step's own event and any other event of the
  // place that day naming the same controller. ``label(controller)`` and ``dateOf(event)``
  // give the words. No DOM.
  function history(events, ev, day, label, dateOf) {
    var all = events.filter(function (x) { return ev.ctl[x] >= 0; });
    var items = [];
    if (!all.length) {
      items.push({text: "No recorded control", current: true, sources: []});
      return items;
    }
    // One step per change: an event naming the controller the previous one named, the same
    // day, only adds its source to that step.
    var list = [], extra = {};
    all.forEach(function (x) {
      var last = list[list.length - 1];
      if (last !== undefined && ev.day[x] === ev.day[last] && ev.ctl[x] === ev.ctl[last]) {
        (extra[last] = extra[last] || []).push(x);
      } else {
        list.push(x);
      }
    });
    function sourcesOf(x) {
      var out = [];
      [x].concat(extra[x] || []).forEach(function (y) {
        if (ev.src[y] >= 0 && out.indexOf(ev.src[y]) < 0) out.push(ev.src[y]);
      });
      return out;
    }
    if (ev.day[list[0]] > day) {
      items.push({text: "Unknown until " + dateOf(list[0]), current: true, sources: []});
    }
    for (var h = 0; h < list.length; h++) {
      var x = list[h], next = list[h + 1];
      var who = label(ev.ctl[x]);
      var isCurrent = ev.day[x] <= day && (next === undefined || ev.day[next] > day);
      var text;
      if (isCurrent) text = who + " since " + dateOf(x);
      else if (ev.day[x] > day) text = who + " from " + dateOf(x);
      else text = who + " from " + dateOf(x) + " until " + dateOf(next);
      items.push({text: text, current: isCurrent, sources: sourcesOf(x)});
    }
    return items;
  }
  // The popup of place p on the shown day.
  function place(app, p) {
    var P = app.P, ev = app.ev, places = app.places, style = app.style;
    var curDay = app.tl.day, eventsOf = app.eventsOf, sourceIndex = app.sourceIndex;
    var box = el("div", "ts-popup");
    box.appendChild(el("h3", "ts-popup-title", places.name[p]));
    var c = app.tl.cur[p];
    var sub = el("div", "ts-popup-sub", app.kindOf(p) + " · " +
      longDate(app.start + curDay * DAY_MS, 0) + ": ");
    var chip = el("span", "ts-chip", style.controllerLabel(c));
    chip.style.borderColor = c === app.CONTESTED ? "#111111" : style.colourOf(c);
    sub.appendChild(chip);
    box.appendChild(sub);

    box.appendChild(el("h4", null, "Control"));
    var hist = el("ul", "ts-history");
    history(eventsOf[p], ev, curDay, style.controllerLabel, function (x) {
      return eventDate(app, x);
    }).forEach(function (item) {
      var li = el("li", item.current ? "ts-current" : null, item.text);
      // Each step names the source(s) that back it, linked (http(s) only: util.link).
      if (item.sources.length) {
        var cite = el("span", "ts-history-source", " — ");
        item.sources.forEach(function (si, k) {
          if (k) cite.appendChild(document.createTextNode("; "));
          cite.appendChild(link(P.sources.url[si], P.sources.title[si]));
        });
        li.appendChild(cite);
      }
      hist.appendChild(li);
    });
    box.appendChild(hist);

    // Every event of the place: the shown day's first, then the others in date order.
    var today = eventsOf[p].filter(function (x) { return ev.day[x] === curDay; });
    var others = eventsOf[p].filter(function (x) { return ev.day[x] !== curDay; });
    box.appendChild(el("h4", null, "On " + longDate(app.start + curDay * DAY_MS, 0)));
    if (today.length) {
      var ul = el("ul", "ts-events ts-events-today");
      today.forEach(function (x) { ul.appendChild(eventItem(app, x, false)); });
      box.appendChild(ul);
    } else {
      box.appendChild(el("p", "ts-none", "No event recorded this day."));
    }
    if (others.length) {
      box.appendChild(el("h4", null, "Other events (" + others.length + ")"));
      var ul2 = el("ul", "ts-events ts-events-other");
      others.forEach(function (x) { ul2.appendChild(eventItem(app, x, true)); });
      box.appendChild(ul2);
    }

    var extra = places.extra, cols = Object.keys(extra);
    var dl = el("dl", "ts-extra");
    if (places.population && places.population[p] > 0) {
      dl.appendChild(el("dt", null, "Population"));
      dl.appendChild(el("dd", null, U.thousands(places.population[p]) +
        (places.population_source[p] ? " (" + places.population_source[p] + ")" : "")));
    }
    cols.forEach(function (col) {
      var v = extra[col][p];
      if (!v) return;
      dl.appendChild(el("dt", null, humanise(col)));
      var dd = el("dd", null, col === "source_id" && sourceIndex[v] !== undefined ? null : v);
      // A column naming a source shows that source, linked.
      if (col === "source_id" && sourceIndex[v] !== undefined) {
        dd.appendChild(link(P.sources.url[sourceIndex[v]], P.sources.title[sourceIndex[v]]));
      }
      dl.appendChild(dd);
    });
    if (dl.childNodes.length) box.appendChild(dl);

    var seen = {}, srcList = el("ul", "ts-popup-sources");
    eventsOf[p].forEach(function (x) {
      var si = ev.src[x];
      if (si >= 0 && !seen[si]) { seen[si] = true; srcList.appendChild(sourceLine(app, si)); }
    });
    if (srcList.childNodes.length) {
      box.appendChild(el("h4", null, "Sources"));
      box.appendChild(srcList);
    }
    return box;
  }
  function incident(app, e7) {
    var box = el("div", "ts-popup ts-incident-popup");
    box.appendChild(el("h3", "ts-popup-title", app.places.name[app.ev.place[e7]]));
    var ul = el("ul", "ts-events");
    ul.appendChild(eventItem(app, e7, true));
    box.appendChild(ul);
    return box;
  }

  // The sources panel: every source of the dataset, opened from the title bar.
  function sourcesPanel(app) {
    var panel = app.sourcesPanel, n = app.P.sources.id.length;
    var list = panel.querySelector(".ts-sources-list");
    for (var j = 0; j < n; j++) list.appendChild(sourceLine(app, j));
    // How the areas were made, in plain words (drawn from data, derived, unknown).
    if (app.P.method) {
      var method = U.el("section", "ts-method");
      method.appendChild(U.el("h3", null, "How the areas are made"));
      method.appendChild(U.el("p", null, app.P.method));
      panel.appendChild(method);
    }
    var toggle = app.head.querySelector(".ts-sources-toggle");
    toggle.textContent = "Sources (" + n + ")";
    function setOpen(open) {
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () { setOpen(panel.hidden); });
    panel.querySelector(".ts-sources-close").addEventListener("click", function () {
      setOpen(false);
    });
  }

  // The legend's area sample: the SVG patterns imitated with CSS gradients.
  function areaSample(colour, kind) {
    var mark = "rgba(255,255,255,0.85)";
    if (kind === "hatch") {
      return "repeating-linear-gradient(45deg, " + mark + " 0 2px, transparent 2px 6px), " + colour;
    }
    if (kind === "cross") {
      return "repeating-linear-gradient(45deg, " + mark + " 0 2px, transparent 2px 6px), " +
        "repeating-linear-gradient(-45deg, " + mark + " 0 2px, transparent 2px 6px), " + colour;
    }
    if (kind === "dots") {
      return "radial-gradient(circle, " + mark + " 1.2px, transparent 1.4px) 0 0 / 6px 6px, " +
        colour;
    }
    return colour;
  }
  // The legend's marker sample for a shape other than a circle: a small inline SVG.
  function shapeSwatch(shape, colour) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "ts-swatch ts-swatch-shape");
    svg.setAttribute("width", "15"); svg.setAttribute("height", "15");
    svg.setAttribute("viewBox", "0 0 15 15");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("data-shape", shape);
    var path = document.createElementNS(NS, "path");
    path.setAttribute("d", M.styles.pointsPath(M.styles.shapePoints(shape, 7.5, 7.5, 5.2)));
    path.setAttribute("fill", colour);
    path.setAttribute("stroke", "#1f1f1f");
    path.setAttribute("stroke-width", "1.1");
    svg.appendChild(path);
    return svg;
  }
  function legend(app) {
    var Legend = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var box = el("div", "ts-legend leaflet-bar");
        var details = el("details");
        details.open = window.innerWidth > 700 && window.innerHeight > 560;  // small embeds: closed
        details.appendChild(el("summary", null, "Legend"));
        function row(swatchClass, colour, text, area, shape) {
          var r2 = el("div", "ts-legend-row");
          var sw = shape && shape !== "circle" ? shapeSwatch(shape, colour) :
            el("span", "ts-swatch " + swatchClass);
          if (colour && !(shape && shape !== "circle")) sw.style.background = colour;
          r2.appendChild(sw);
          var sample = el("span", "ts-swatch ts-swatch-area");
          if (area) sample.style.background = area; else sample.style.visibility = "hidden";
          r2.appendChild(sample);
          r2.appendChild(el("span", null, text));
          details.appendChild(r2);
        }
        app.factions.forEach(function (f, k) {
          row("ts-swatch-dot", f.colour, f.label, areaSample(f.colour, f.pattern),
            app.style.shapeOf(k));
        });
        row("ts-swatch-dot ts-swatch-contested", "#ffffff", "Contested",
          "repeating-linear-gradient(45deg, #222 0 2px, transparent 2px 6px), #bdbdbd");
        row("ts-swatch-dot", M.styles.UNKNOWN_COLOUR, "No data", "rgba(158,158,158,0.3)");
        if (app.fronts.arc.length) row("ts-swatch-front", M.styles.FRONT_COLOUR, "Front line");
        if (app.segLayers.length) row("ts-swatch-cut", null, "Route cut between sides");
        if (app.incidentsOn.some(function (x) { return x.length; })) {
          row("ts-swatch-incident", null, "Incident (fades over " + app.incidentDays + " days)");
        }
        box.appendChild(details);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    new Legend().addTo(app.map);
  }

  M.popups = {history: history, humanise: humanise, sourceDate: sourceDate, sourceMeta: sourceMeta,
    areaSample: areaSample, place: place, incident: incident, sourcesPanel: sourcesPanel,
    legend: legend};
})(window.__mapper || (window.__mapper = {}));
