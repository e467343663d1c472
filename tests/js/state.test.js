"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load, random} = require("./_load.js");

const M = load(["util.js", "state.js"]);
const S = M.state;

// Three places over six days; controllers: 0, 1 (factions), 2 (contested), -1 (unknown).
// Changes (day, place, after): (1, p0, 1), (1, p2, 0), (3, p0, 2), (3, p0, 1), (5, p1, 0);
// the payload sends the days as differences.
function sample() {
  return {initial: [0, 1, -1], day: [1, 0, 2, 0, 2], place: [0, 2, 0, 0, 1],
    after: [1, 0, 2, 1, 0]};
}
// The state on day d by brute force: every change up to d applied to the initial state.
function reference(ctl, days, d) {
  const out = Array.from(ctl.initial);
  for (let k = 0; k < days.length; k++) if (days[k] <= d) out[ctl.place[k]] = ctl.after[k];
  return out;
}
const STATES = [[0, 1, -1], [1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 0, 0]];

test("timeline rebuilds the days and the value before each change", () => {
  const ctl = sample();
  const tl = S.timeline(ctl, 3, 6);
  assert.deepEqual(ctl.day, [1, 1, 3, 3, 5]);
  assert.deepEqual(Array.from(ctl.before), [0, -1, 1, 2, 1]);
  assert.deepEqual(Array.from(tl.cur), [0, 1, -1]);
  assert.equal(tl.day, 0);
  assert.ok(tl.cur instanceof Int16Array);
});

test("firstChange, changeDays and changesOn for sample data", () => {
  const tl = S.timeline(sample(), 3, 6);
  assert.deepEqual(Array.from(tl.firstChange), [0, 0, 2, 2, 4, 4, 5]);
  assert.deepEqual(tl.changeDays, [1, 3, 5]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(tl.changesOn), [0, 2, 0, 2, 0, 1]);
  const none = S.timeline({initial: [0], day: [], place: [], after: []}, 1, 3);
  assert.deepEqual(Array.from(none.firstChange), [0, 0, 0, 0]);
  assert.deepEqual(none.changeDays, []);
});

test("replaying forward day by day, then backward, returns the initial state", () => {
  const tl = S.timeline(sample(), 3, 6);
  for (let d = 1; d < 6; d++) {
    tl.moveTo(d);
    assert.deepEqual(Array.from(tl.cur), STATES[d], "forward to day " + d);
  }
  for (let d = 4; d >= 0; d--) {
    tl.moveTo(d);
    assert.deepEqual(Array.from(tl.cur), STATES[d], "back to day " + d);
  }
  assert.deepEqual(Array.from(tl.cur), [0, 1, -1]);
  // And in one jump each way.
  tl.moveTo(5);
  assert.deepEqual(Array.from(tl.cur), STATES[5]);
  tl.moveTo(0);
  assert.deepEqual(Array.from(tl.cur), [0, 1, -1]);
});

test("moveTo says which places it touched, each once", () => {
  const tl = S.timeline(sample(), 3, 6);
  assert.deepEqual(Array.from(tl.moveTo(0)), []);  // already there: nothing
  assert.deepEqual(Array.from(tl.moveTo(1)), [0, 2]);
  assert.deepEqual(Array.from(tl.moveTo(2)), []);  // no change on day 2
  // p0 goes contested and back on day 3: touched (once) though it ends where it was.
  assert.deepEqual(Array.from(tl.moveTo(3)), [0]);
  assert.deepEqual(Array.from(tl.cur), [1, 1, 0]);
  assert.deepEqual(Array.from(tl.moveTo(5)), [1]);
  assert.deepEqual(Array.from(tl.moveTo(0)), [1, 0, 2]);  // backward: latest change first
  assert.equal(tl.day, 0);
});

test("random jumps agree with a replay from the start", () => {
  const rnd = random(20241130);
  for (let round = 0; round < 20; round++) {
    const np = 1 + rnd(12), n = 1 + rnd(40), nch = rnd(60), nf = 1 + rnd(3);
    // Changes fall on day 1 or later: the initial state is the one on day 0 (as
    // mapper/timeline.py's encode gives them).
    const days = Array.from({length: n > 1 ? nch : 0}, () => 1 + rnd(n - 1))
      .sort((a, b) => a - b);
    const ctl = {initial: Array.from({length: np}, () => rnd(nf + 2) - 1),
      day: days.map((d, k) => (k ? d - days[k - 1] : d)),
      place: Array.from({length: nch}, () => rnd(np)),
      after: Array.from({length: nch}, () => rnd(nf + 2) - 1)};
    const initial = Array.from(ctl.initial);
    const tl = S.timeline(ctl, np, n);
    for (let step = 0; step < 30; step++) {
      const from = Array.from(tl.cur), d = rnd(n), lo = Math.min(tl.day, d), hi = Math.max(tl.day, d);
      const touched = tl.moveTo(d);
      const want = reference(ctl, days, d);
      assert.deepEqual(Array.from(tl.cur), want, "round " + round + " day " + d);
      assert.equal(new Set(touched).size, touched.length);
      // Every place that changed is touched; every touched one had a change in between.
      want.forEach((c, p) => { if (c !== from[p]) assert.ok(touched.includes(p)); });
      touched.forEach((p) => {
        assert.ok(days.some((day, k) => ctl.place[k] === p && day > lo && day <= hi));
      });
    }
    tl.moveTo(n - 1);
    tl.moveTo(0);
    assert.deepEqual(Array.from(tl.cur), reference(ctl, days, 0));
    assert.deepEqual(Array.from(tl.cur), initial);
  }
});

test("nextChangeDay steps between days with changes, else to an end", () => {
  const tl = S.timeline(sample(), 3, 6);
  const walk = (dir) => { const d = tl.nextChangeDay(dir); tl.moveTo(d); return d; };
  assert.deepEqual([walk(1), walk(1), walk(1), walk(1)], [1, 3, 5, 5]);
  assert.deepEqual([walk(-1), walk(-1), walk(-1), walk(-1)], [3, 1, 0, 0]);
  tl.moveTo(2);
  assert.equal(tl.nextChangeDay(1), 3);
  assert.equal(tl.nextChangeDay(-1), 1);
  const none = S.timeline({initial: [0], day: [], place: [], after: []}, 1, 4);
  assert.equal(none.nextChangeDay(1), 3);
  assert.equal(none.nextChangeDay(-1), 0);
});

test("events: days rebuilt, precisions expanded, grouped by place and incident day", () => {
  const ev = {day: [0, 2, 0, 1, 5], place: [1, 0, 1, -1, 0], ctl: [0, -2, 1, -2, -2],
    prec: {at: [2], value: [1]}, texts: ["", "killed", "note"],
    extra: {casualties: {event: [1, 1, 3], text: [1, 2, 2]}}};
  const E = S.events(ev, 2, 4);
  assert.equal(E.ev, ev);
  assert.equal(E.nev, 5);
  assert.deepEqual(ev.day, [0, 2, 2, 3, 8]);
  assert.deepEqual(Array.from(ev.prec), [0, 0, 1, 0, 0]);
  assert.deepEqual(E.eventsOf, [[1, 4], [0, 2]]);
  // Incidents (ctl -2) at a place and on the slider only: event 3 has no place, event 4
  // (day 8) is past the end.
  assert.deepEqual(E.incidentsOn, [[], [], [1], []]);
  assert.deepEqual(E.extras, {1: [["casualties", "killed"], ["casualties", "note"]],
    3: [["casualties", "note"]]});
  assert.equal(S.INCIDENT, -2);
  assert.deepEqual(S.events({day: [], place: [], ctl: [], prec: {at: [], value: []}}, 1, 1)
    .extras, {});
});

test("the state on any day, without moving the shown one", () => {
  const ctl = sample();
  const tl = S.timeline(ctl, 3, 6);
  tl.moveTo(4);
  for (let d = 0; d < 6; d++) assert.deepEqual(Array.from(tl.at(d)), STATES[d]);
  assert.equal(tl.day, 4);
  assert.deepEqual(Array.from(tl.at(99)), STATES[5]);
});
