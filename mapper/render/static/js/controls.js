/*
 * mapper browser code, module controls: the slider bar (date, ticks of the days with
 * changes), its buttons, the keyboard, play, the permalink hash, embed mode and the credit
 * line (sources up to the shown day).
 *
 * Keys: the arrow keys pan the map while the map (or a place on it) has the focus, and step
 * the date everywhere else (the slider, the buttons, the page); Page Up/Down, Home and End
 * step the date, Space plays. Escape is a11y.js's.
 *
 * setup(app) adds app.go(day), the one way the shown day changes: it moves the state,
 * restyles what changed, updates incidents, labels, the chart, an open popup and the hash.
 */
(function (M) {
  "use strict";
  var U = M.util, DAY_MS = U.DAY_MS, longDate = U.longDate;

  // The ticks under a slider w pixels wide: one per pixel column with changes, darker where
  // more changes fall in it (a density strip when there are more change days than pixels).
  // [{x, width, alpha}], x the left edge.
  function tickMarks(changeDays, changesOn, n, w) {
    var cols = {}, most = 0;
    changeDays.forEach(function (d) {
      var x = Math.round(d / (n - 1) * (w - 2)) + 1;
      cols[x] = (cols[x] || 0) + changesOn(d);
      most = Math.max(most, cols[x]);
    });
    var dense = changeDays.length > w / 3;
    return Object.keys(cols).map(function (x) {
      return {x: +x - (dense ? 0.5 : 1), width: dense ? 1 : 2,
        alpha: dense ? 0.15 + 0.85 * cols[x] / most : 1};
    });
  }
  // "Tuesday · day 3 of 10 · 2 changes" for the day at ``ms``, index ``day``.
  function dayLine(ms, day, n, changes) {
    return U.WEEKDAYS[new Date(ms).getUTCDay()] + " · day " + (day + 1) + " of " + n +
      (changes ? " · " + changes + " change" + (changes > 1 ? "s" : "") : "");
  }
  // How many lines ``text`` takes wrapped at its spaces within ``room`` pixels (measure(s):
  // the width of s); a word wider than the room takes a line of its own.
  function wrappedLines(text, room, measure) {
    var words = text.split(" "), lines = 1, line = "";
    for (var i = 0; i < words.length; i++) {
      var next = line ? line + " " + words[i] : words[i];
      if (line && measure(next) > room) { lines++; line = words[i]; } else line = next;
    }
    return lines;
  }
  // The longest date of each month of the slider ("28 September 2024"), up to 25 months (by
  // then every month name is among them): the date box is as wide as the widest.
  function dateWidthTexts(start, n) {
    var texts = [], seen = {};
    for (var d = 0; d < n; d++) {
      var dt = new Date(start + d * DAY_MS), key = dt.getUTCMonth() + ":" + dt.getUTCFullYear();
      if (seen[key]) continue;
      seen[key] = true;
      texts.push("28 " + U.MONTHS[dt.getUTCMonth()] + " " + dt.getUTCFullYear());
      if (Object.keys(seen).length > 24) break;  // long sliders: every month name seen
    }
    return texts;
  }
  // Playing: the day ``steps`` days after ``day``; past the end, from the start again (loop)
  // or -1 (stop on the last day).
  function playTarget(day, steps, n, loop) {
    var target = day + steps;
    if (target >= n) return loop ? target % n : -1;
    return target;
  }
  // What a key does (null: nothing).
  function keyAction(key, shift) {
    if (key === "ArrowRight") return shift ? "next-change" : "next-day";
    if (key === "ArrowLeft") return shift ? "prev-change" : "prev-day";
    if (key === "PageDown") return "next-change";
    if (key === "PageUp") return "prev-change";
    if (key === "Home") return "first";
    if (key === "End") return "last";
    if (key === " " || key === "Spacebar") return "play";
    return null;
  }

  function q(app, cls) { return app.bar.querySelector("." + cls); }

  // The slider's ends and range, and the ticks of the days with changes: one canvas, however
  // many days.
  function ticks(app) {
    var n = app.n, start = app.start, tl = app.tl, range = q(app, "ts-range");
    q(app, "ts-start").textContent = longDate(start, 0);
    q(app, "ts-end").textContent = longDate(start + (n - 1) * DAY_MS, 0);
    range.max = String(n - 1);
    var tickBox = q(app, "ts-ticks"), tickCanvas = U.el("canvas");
    tickBox.appendChild(tickCanvas);
    function drawTicks() {
      var w = tickBox.clientWidth, h = tickBox.clientHeight, ratio = window.devicePixelRatio || 1;
      if (!w || n < 2) return;
      tickCanvas.width = Math.round(w * ratio);
      tickCanvas.height = Math.round(h * ratio);
      var ctx = tickCanvas.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.fillStyle = "#c62828";
      tickMarks(tl.changeDays, tl.changesOn, n, w).forEach(function (t) {
        ctx.globalAlpha = t.alpha;
        ctx.fillRect(t.x, 0, t.width, h);
      });
    }
    drawTicks();
    window.addEventListener("resize", drawTicks);
  }

  function setup(app) {
    var map = app.map, bar = app.bar, n = app.n, start = app.start, dates = app.dates;
    var tl = app.tl;
    var range = q(app, "ts-range"), bigBox = q(app, "ts-date-big"), subBox = q(app, "ts-date-sub");
    // (the texts in their own boxes of a fixed size: see timeslider.css)
    var bigLabel = bigBox.firstChild, subLabel = subBox.firstChild;
    var playBtn = q(app, "ts-play"), speedSel = q(app, "ts-speed"), loopBox = q(app, "ts-loop");

    var embed = false;
    // Embed mode is whatever the address says now: "&embed" taken off the hash ends it.
    function readHash() {
      var h = U.parseHash(location.hash, location.search);
      embed = h.embed;
      return h.day;
    }
    function applyEmbed() {
      // The credit line's room changes with the layout.
      forgetCredit();
      document.documentElement.classList.toggle("ts-embed", embed);
      // An embed's legend is open (compact, by CSS): a reader of an article never opens it.
      var legend = map.getContainer().querySelector(".ts-legend details");
      if (legend && embed) legend.open = true;
      fixSubLines();
      resized();
    }
    // Tell the map its size changed, if it did (Leaflet forgets the exact centre it was given
    // on every call, changed or not).
    function resized() {
      var box = map.getContainer(), size = map.getSize();
      if (box.clientWidth !== size.x || box.clientHeight !== size.y) map.invalidateSize();
    }
    // The hash follows the date: at once after a quiet spell, else once the date has stayed
    // HASH_MS (a drag or quick steps write it once, at the end: a history update costs a
    // frame's time on a phone, and browsers throttle frequent ones), and when playing stops.
    var HASH_MS = 250, lastChange = -Infinity;
    var hashLater = U.settle(function () { writeHash(true); }, function () { return HASH_MS; });
    function writeHash(now) {
      var t = performance.now(), quiet = t - lastChange >= HASH_MS;
      if (!now) lastChange = t;
      if (!now && (playing || !quiet)) {
        if (playing) hashLater.cancel(); else hashLater.poke();
        return;
      }
      hashLater.cancel();
      var hash = U.hashFor(dates[tl.day], embed, location.search);
      if (location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (err) { /* some viewers forbid it */ }
      }
    }
    function dayOf(text) { return U.dayIndex(text, start, n); }
    // Text widths in an element's font, measured on a canvas (no layout of the page per
    // text), its letter and word spacing included.
    function measurer(elem) {
      var cs = getComputedStyle(elem), ctx = document.createElement("canvas").getContext("2d");
      ctx.font = cs.fontStyle + " " + cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
      var letter = parseFloat(cs.letterSpacing) || 0, word = parseFloat(cs.wordSpacing) || 0;
      var f = function (text) {
        return ctx.measureText(text).width + letter * text.length + word * (text.split(" ").length - 1);
      };
      f.size = parseFloat(cs.fontSize);
      return f;
    }
    // The date box is as wide as the longest date of the slider, in em (its font is smaller
    // in narrow windows), so the controls and the chart beside it neither move nor redraw as
    // the date changes.
    function fixDateWidth() {
      var measure = measurer(bigLabel), widest = 0;
      dateWidthTexts(start, n).forEach(function (text) { widest = Math.max(widest, measure(text)); });
      if (widest && measure.size > 0) {
        bar.style.setProperty("--ts-date-em", (widest / measure.size + 0.1).toFixed(3) + "em");
      }
    }
    fixDateWidth();
    // The day line's box: as tall as its longest text needs at its width. Its texts, the
    // widest first, measured once (its font does not change with the window).
    var widestLines = null, lineWidth = null;
    function fixSubLines() {
      var room = subLabel.getBoundingClientRect().width - 1;
      if (room <= 0) return;  // hidden (embeds)
      if (!widestLines) {
        lineWidth = measurer(subLabel);
        var all = [];
        for (var d = 0; d < n; d++) {
          var text = dayLine(start + d * DAY_MS, d, n, tl.changesOn(d));
          all.push({text: text, width: lineWidth(text)});
        }
        all.sort(function (a, b) { return b.width - a.width; });
        widestLines = all.slice(0, 24).map(function (x) { return x.text; });
      }
      var most = 1;
      for (var k = 0; k < widestLines.length; k++) {
        most = Math.max(most, wrappedLines(widestLines[k], room, lineWidth));
      }
      bar.style.setProperty("--ts-sub-lines", String(most));
    }
    fixSubLines();
    window.addEventListener("resize", fixSubLines);
    function showLabels() {
      var ms = start + tl.day * DAY_MS, text = longDate(ms, 0);
      U.setText(bigLabel, text);
      U.setText(subLabel, dayLine(ms, tl.day, n, tl.changesOn(tl.day)));
      range.value = String(tl.day);
      range.setAttribute("aria-valuetext", text);
      if (app.chart) app.chart.move(tl.day);
    }

    // The step's drawing is done (go) or runs in the next animation frame, before the
    // callback below: a step's promise resolves in a task of its own once that frame has
    // been rendered (one channel, kept: a port no one holds may be collected with its
    // message).
    var pending = [];
    var frameRequested = false;
    var drawn = new MessageChannel();
    drawn.port1.onmessage = function () {
      frameRequested = false;
      var list = pending; pending = [];
      list.forEach(function (f) { f(); });
    };
    function afterDraw(resolve) {
      pending.push(resolve);
      if (frameRequested) return;
      frameRequested = true;
      requestAnimationFrame(function () { drawn.port2.postMessage(0); });
    }
    function go(d, fromHash) {
      d = Math.max(0, Math.min(n - 1, d));
      app.restyleTouched(tl.moveTo(d), app.atl.moveTo(d));
      app.updateIncidents();
      showLabels();
      refreshOpenPopup();
      if (!fromHash) writeHash(false);
      if (app.onDay) app.onDay(d);
      if (app.drawNow) app.drawNow();
    }
    function refreshOpenPopup() {
      var popup = map._popup;
      if (!popup || !popup.isOpen() || !popup._source) return;
      var src = popup._source;
      if (src._tsPlace !== undefined) popup.setContent(M.popups.place(app, src._tsPlace));
    }
    function nextChange(dir) { go(tl.nextChangeDay(dir)); }

    // Play: advance by whole days at the chosen speed, driven by animation frames.
    var playing = false, lastTick = 0, carry = 0;
    function frame(now) {
      if (!playing) return;
      var speed = +speedSel.value || 1;
      carry += (now - lastTick) * speed / 1000;
      lastTick = now;
      var steps = Math.floor(carry);
      if (steps > 0) {
        carry -= steps;
        var target = playTarget(tl.day, steps, n, loopBox.checked);
        if (target < 0) { go(n - 1); setPlaying(false); return; }
        go(target);
      }
      requestAnimationFrame(frame);
    }
    function setPlaying(on) {
      if (on === playing) return;
      playing = on;
      playBtn.setAttribute("aria-pressed", on ? "true" : "false");
      playBtn.setAttribute("aria-label", on ? "Pause" : "Play");
      if (!on) writeHash(true);
      if (on) {
        if (tl.day >= n - 1 && n > 1) go(0);
        lastTick = performance.now();
        carry = 0;
        requestAnimationFrame(frame);
      }
    }

    range.addEventListener("input", function () { go(+range.value); });
    playBtn.addEventListener("click", function () { setPlaying(!playing); });
    q(app, "ts-prev-day").addEventListener("click", function () { go(tl.day - 1); });
    q(app, "ts-next-day").addEventListener("click", function () { go(tl.day + 1); });
    q(app, "ts-prev-change").addEventListener("click", function () { nextChange(-1); });
    q(app, "ts-next-change").addEventListener("click", function () { nextChange(1); });
    document.addEventListener("keydown", function (event) {
      var t = event.target;
      var tag = t && t.tagName;
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && t.type !== "range" &&
        t.type !== "checkbox")) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      // On the map the keys are Leaflet's (arrows pan, +/- zoom) and the places' (Enter).
      if (map.getContainer().contains(t)) return;
      var action = keyAction(event.key, event.shiftKey);
      if (action === "next-day") go(tl.day + 1);
      else if (action === "prev-day") go(tl.day - 1);
      else if (action === "next-change") nextChange(1);
      else if (action === "prev-change") nextChange(-1);
      else if (action === "first") go(0);
      else if (action === "last") go(n - 1);
      else if (action === "play") {
        if (tag === "BUTTON" && t !== playBtn && bar.contains(t)) return;
        setPlaying(!playing);
      } else return;
      event.preventDefault();
    });
    window.addEventListener("hashchange", function () {
      var day = readHash();
      applyEmbed();
      if (day !== null && dayOf(day) >= 0 && dayOf(day) !== tl.day) go(dayOf(day), true);
    });

    // The credit line under the map: who published the sources of the changes shown so far,
    // as many names as fit on one line (every name when ``full``, for print), then the base
    // map's credit.
    var credit = document.querySelector("#" + app.name + "-foot .ts-credit");
    var CREDIT_END = " · Base map: Natural Earth";
    // The lines fitted so far, by the names they credit, and the line's font and room (all
    // forgotten when the room may change: a resize, embed mode): a step mostly credits the
    // sources of a day seen before, and fitting a line measures it several times.
    var fitted = {}, measure = null;
    function forgetCredit() { fitted = {}; measure = null; }
    window.addEventListener("resize", forgetCredit);
    function updateCredit(full) {
      if (!credit) return;
      var names = M.snapshot.sourceNames(app.ev, app.nev, app.P.sources, tl.day);
      var key = names.join("\n"), line = full ? undefined : fitted[key];
      if (line === undefined) {
        if (!measure) {
          var cs = getComputedStyle(credit), ctx = document.createElement("canvas").getContext("2d");
          ctx.font = cs.fontStyle + " " + cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
          measure = {ctx: ctx, room: credit.clientWidth || Infinity};
        }
        var m = measure;
        line = M.snapshot.creditLine(names, function (text) {
          return !full && m.ctx.measureText(text).width > m.room;
        }, CREDIT_END);
        if (!full) fitted[key] = line;
      }
      if (credit.textContent !== line) credit.textContent = line;
      var title = M.snapshot.creditLine(names, function () { return false; }, CREDIT_END);
      if (credit.title !== title) credit.title = title;
    }

    app.updateCredit = updateCredit;
    app.go = go;
    app.dayOf = dayOf;
    app.readHash = readHash;
    app.applyEmbed = applyEmbed;
    app.resized = resized;
    app.writeHash = writeHash;
    app.afterDraw = afterDraw;
    app.setPlaying = setPlaying;
    app.playing = function () { return playing; };
  }

  M.controls = {tickMarks: tickMarks, dayLine: dayLine, dateWidthTexts: dateWidthTexts,
    wrappedLines: wrappedLines,
    playTarget: playTarget, keyAction: keyAction, ticks: ticks, setup: setup};
})(window.__mapper || (window.__mapper = {}));
