/*
 * mapper browser code, module state: the control timeline and the events, from the payload
 * (see mapper/render/payload.py). No DOM.
 *
 * The payload holds the state on the first day and the list of changes; moving from one day
 * to another replays only the changes in between (forward: their "after" value, backward:
 * their "before" value) and says which places changed, so that only what touches them is
 * restyled.
 */
(function (M) {
  "use strict";
  var U = M.util;

  // Controller code of an incident (an event that changes no control).
  var INCIDENT = -2;

  // ``ctl``: the payload's control ({initial, day, place, after}, days as differences; each
  // column an array or a packed string, see util.unpackInts): the state on day 0, then the
  // changes in date order, on day 1 or later. The columns are unpacked and the days rebuilt
  // in place, and ``ctl.before`` added. ``np`` places, ``n`` days.
  function timeline(ctl, np, n) {
    ["initial", "day", "place", "after"].forEach(function (k) { ctl[k] = U.unpackInts(ctl[k]); });
    var nch = ctl.day.length;
    var cur = new Int16Array(np);
    for (var ci = 0; ci < np; ci++) cur[ci] = ctl.initial[ci];
    // The payload sends days as differences and no ``before``: rebuild both once.
    U.undelta(ctl.day);
    ctl.before = new Int16Array(nch);
    var held = Int16Array.from(ctl.initial);
    for (var k = 0; k < nch; k++) {
      ctl.before[k] = held[ctl.place[k]];
      held[ctl.place[k]] = ctl.after[k];
    }
    // firstChange[d]: index of the first change dated on day d or later (d = 0..n).
    var firstChange = new Int32Array(n + 1);
    k = 0;
    for (var d = 0; d <= n; d++) {
      while (k < nch && ctl.day[k] < d) k++;
      firstChange[d] = k;
    }
    // The days with at least one change, in order.
    var changeDays = [];
    for (var cd = 0; cd < nch; cd++) {
      if (!changeDays.length || changeDays[changeDays.length - 1] !== ctl.day[cd]) {
        changeDays.push(ctl.day[cd]);
      }
    }
    var stamp = new Int32Array(np), stampNow = 0, touched = new Int32Array(np);
    var t = {n: n, ctl: ctl, cur: cur, day: 0, firstChange: firstChange, changeDays: changeDays};
    // Move the state (``cur``) from ``t.day`` to day d, replaying only the changes in between;
    // returns the places that changed hands or back, each once: a view of one buffer, which
    // the next move writes over (a new list a move was 1.1 MB of garbage a jump at 50,000
    // places, and the garbage collections it brought fell on the reader's steps).
    t.moveTo = function (to) {
      var nt = 0;
      if (to === t.day) return touched.subarray(0, 0);
      stampNow++;
      var k2, from = t.day;
      if (to > from) {
        for (k2 = firstChange[from + 1]; k2 < firstChange[to + 1]; k2++) {
          cur[ctl.place[k2]] = ctl.after[k2];
          if (stamp[ctl.place[k2]] !== stampNow) {
            stamp[ctl.place[k2]] = stampNow; touched[nt++] = ctl.place[k2];
          }
        }
      } else {
        for (k2 = firstChange[from + 1] - 1; k2 >= firstChange[to + 1]; k2--) {
          cur[ctl.place[k2]] = ctl.before[k2];
          if (stamp[ctl.place[k2]] !== stampNow) {
            stamp[ctl.place[k2]] = stampNow; touched[nt++] = ctl.place[k2];
          }
        }
      }
      t.day = to;
      return touched.subarray(0, nt);
    };
    // The state on day d (a new array; ``cur`` is left alone).
    t.at = function (d2) {
      var out = Int16Array.from(ctl.initial), end = firstChange[Math.max(0, Math.min(n - 1, d2)) + 1];
      for (var k3 = 0; k3 < end; k3++) out[ctl.place[k3]] = ctl.after[k3];
      return out;
    };
    // How many changes are dated on day d.
    t.changesOn = function (d2) { return firstChange[d2 + 1] - firstChange[d2]; };
    // The next day with a change after the shown one (dir > 0; else the last day), or the
    // previous one (dir < 0; else the first day).
    t.nextChangeDay = function (dir) {
      var target = -1;
      if (dir > 0) {
        for (var j = 0; j < changeDays.length; j++) if (changeDays[j] > t.day) { target = changeDays[j]; break; }
        if (target < 0) target = n - 1;
      } else {
        for (var j2 = changeDays.length - 1; j2 >= 0; j2--) if (changeDays[j2] < t.day) { target = changeDays[j2]; break; }
        if (target < 0) target = 0;
      }
      return target;
    };
    return t;
  }

  // The payload's events, decoded in place (days rebuilt, precision codes expanded), with
  // the events of each place, the incidents of each day and the extra columns of each event.
  function events(ev, np, n) {
    ["place", "day", "ctl", "kind", "desc", "src"].forEach(function (k) {
      ev[k] = U.unpackInts(ev[k]);
    });
    var nev = ev.day.length;
    U.undelta(ev.day);
    ev.prec = (function (sparse) {  // precision codes: 0 (a day) unless listed
      var full = new Int8Array(nev);
      for (var k = 0; k < sparse.at.length; k++) full[sparse.at[k]] = sparse.value[k];
      return full;
    })(ev.prec);
    var incidentsOn = new Array(n);
    for (var ii = 0; ii < n; ii++) incidentsOn[ii] = [];
    for (var ie = 0; ie < nev; ie++) {
      if (ev.ctl[ie] === INCIDENT && ev.place[ie] >= 0 && ev.day[ie] >= 0 && ev.day[ie] < n) {
        incidentsOn[ev.day[ie]].push(ie);
      }
    }
    // Extra columns of events: per event, a list of [column, text].
    var extras = {};
    Object.keys(ev.extra || {}).forEach(function (col) {
      var x = ev.extra[col];
      for (var j = 0; j < x.event.length; j++) {
        (extras[x.event[j]] || (extras[x.event[j]] = [])).push([col, ev.texts[x.text[j]]]);
      }
    });
    return {ev: ev, nev: nev, eventsOf: U.groupBy(ev.place, np), incidentsOn: incidentsOn,
      extras: extras};
  }

  M.state = {INCIDENT: INCIDENT, timeline: timeline, events: events};
})(window.__mapper || (window.__mapper = {}));
