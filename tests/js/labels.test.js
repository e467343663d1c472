"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const Lb = load(["labels.js"]).labels;

test("label ranks: capitals first, minor places and the base map's names last", () => {
  assert.deepEqual(["capital", "city", "town", "country", "region"].map((k) => Lb.rank(k, true)),
    [0, 1, 2, 3, 4]);
  assert.equal(Lb.rank("village", true), 2);  // labelled through the data's label column
  assert.equal(Lb.rank("capital", false), 5);  // not a main label: minor whatever its kind
  assert.ok(Lb.LABEL_RANK_BASE > Lb.rank("city", false));
  const labels = [{i: 3, rank: 1}, {i: 1, rank: 2}, {i: 2, rank: 1}, {i: 0, rank: 5}];
  assert.deepEqual(labels.sort(Lb.byRank).map((l) => l.i), [2, 3, 1, 0]);
});

test("overlap allows a pixel sideways and four of line height", () => {
  const r = (left, top, right, bottom) => ({left, top, right, bottom, width: right - left});
  const a = r(0, 0, 50, 16);
  assert.ok(Lb.overlaps(r(10, 5, 60, 21), a));
  assert.ok(!Lb.overlaps(r(49, 0, 90, 16), a));  // one pixel of overlap sideways: fine
  assert.ok(Lb.overlaps(r(48, 0, 90, 16), a));
  assert.ok(!Lb.overlaps(r(0, 12, 50, 28), a));  // four pixels of line height: fine
  assert.ok(Lb.overlaps(r(0, 11, 50, 27), a));
  assert.ok(!Lb.clashes(a, []));
  assert.ok(Lb.clashes(a, [r(200, 0, 250, 16), r(40, 0, 80, 16)]));
});

// A fake label: a marker of radius 5 at x whose tooltip, 40 x 16, sits right (or left) of it.
function fakeLabel(i, x, rank, region) {
  const node = {style: {visibility: "x"}};
  const tip = {options: {direction: "right", offset: [6, 0]}, updates: 0,
    update() { this.updates++; }, getElement: () => node};
  node.getBoundingClientRect = () => {
    const left = region || tip.options.direction === "right" ? x + 6 : x - 46;
    return {left, right: left + 40, top: 0, bottom: 16, width: 40};
  };
  const layer = {getTooltip: () => tip, getElement: () => node, getRadius: () => 5};
  return {i, rank, layer, region, node, tip};
}

test("declutter: the lesser label tries the other side, then hides", () => {
  const a = fakeLabel(0, 0, 0), b = fakeLabel(1, 30, 1), c = fakeLabel(2, 20, 2);
  const far = fakeLabel(3, 500, 3);
  Lb.declutter([a, b, c, far]);
  assert.equal(a.node.style.visibility, "");
  assert.equal(a.tip.options.direction, "right");
  // b clashes with a on the right (36..76 against 6..46), and on the left too (-16..24):
  // hidden, and left pointing left until the next run.
  assert.equal(b.tip.options.direction, "left");
  assert.deepEqual(b.tip.options.offset, [-6, 0]);
  assert.equal(b.node.style.visibility, "hidden");
  assert.equal(c.node.style.visibility, "hidden");
  assert.equal(far.node.style.visibility, "");
  // Alone, b is shown on the right again (its direction restored).
  Lb.declutter([b]);
  assert.equal(b.tip.options.direction, "right");
  assert.deepEqual(b.tip.options.offset, [6, 0]);
  assert.equal(b.node.style.visibility, "");
});

test("declutter: flipping left makes room; regions never flip; unseen labels skipped", () => {
  const a = fakeLabel(0, 100, 0), b = fakeLabel(1, 140, 1);
  Lb.declutter([a, b]);
  // b on the right, 146..186, meets a (106..146) without overlap: shown.
  assert.equal(b.node.style.visibility, "");
  const c = fakeLabel(2, 120, 2);
  Lb.declutter([a, c]);  // c right: 126..166 clashes; left: 74..114 clashes a (106..146)
  assert.equal(c.node.style.visibility, "hidden");
  const d = fakeLabel(3, 160, 2);
  Lb.declutter([a, d]);  // d right: 166..206 free; stays right
  assert.equal(d.tip.options.direction, "right");
  const e = fakeLabel(4, 96, 2);
  Lb.declutter([fakeLabel(5, 0, 0), a, e]);  // e right 102..142 clashes a; left 50..90 free
  assert.equal(e.tip.options.direction, "left");
  assert.equal(e.node.style.visibility, "");
  const region = fakeLabel(6, 100, 3, true);
  Lb.declutter([a, region]);
  assert.equal(region.tip.updates, 0);
  assert.equal(region.node.style.visibility, "hidden");
  const hidden = fakeLabel(7, 100, 0);
  hidden.node.getBoundingClientRect = () => ({left: 0, right: 0, top: 0, bottom: 0, width: 0});
  Lb.declutter([hidden, a]);  // no size (display: none): neither shown nor in the way
  assert.equal(a.node.style.visibility, "");
  const gone = fakeLabel(8, 0, 0);
  gone.tip.getElement = () => null;
  Lb.declutter([gone]);
  assert.equal(gone.node.style.visibility, "x");
});
