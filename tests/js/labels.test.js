"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load, random} = require("./_load.js");

const Lb = load(["labels.js"]).labels;

test("label ranks: capitals first, minor places and the base map's names last", () => {
  assert.deepEqual(["capital", "city", "town", "country", "region"].map((k) => Lb.rank(k, true)),
    [0, 1, 2, 3, 4]);
  assert.equal(Lb.rank("village", true), 2);  // labelled through the data's label column
  assert.equal(Lb.rank("capital", false), 5);  // not a main label: minor whatever its kind
  assert.ok(Lb.LABEL_RANK_BASE > Lb.rank("city", false));
  const labels = [{i: 3, rank: 1}, {i: 1, rank: 2}, {i: 2, rank: 1}, {i: 0, rank: 5},
    {i: 4, rank: 1, pop: 100}];
  assert.deepEqual(labels.sort(Lb.byRank).map((l) => l.i), [4, 2, 3, 1, 0]);
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

const dot = (x, y, r, w, h, extra) => Object.assign({x, y, r, w: w || 0, h: h || 0}, extra || {});
const centre = (b) => [(b.left + b.right) / 2, (b.top + b.bottom) / 2];

test("candidates sit beside their dot, each on its own side, clear of it", () => {
  for (const pos of Lb.POSITIONS) {
    const b = Lb.candidate(pos, 100, 100, 5, 40, 16);
    assert.ok(Math.abs(b.right - b.left - 40) < 1e-9);
    assert.ok(Math.abs(b.bottom - b.top - 16) < 1e-9);
    // Never on its own dot (the line spacing of a diagonal label, 3 px, aside).
    const dx = Math.max(b.left - 100, 0, 100 - b.right);
    const dy = Math.max(b.top + 3 - 100, 0, 100 - (b.bottom - 3));
    assert.ok(Math.hypot(dx, dy) >= 5, pos);
    const [cx, cy] = centre(b);
    if (pos.includes("right")) assert.ok(b.left > 100 && b.left <= 106, pos);
    if (pos.includes("left")) assert.ok(b.right < 100 && b.right >= 94, pos);
    if (pos.startsWith("top")) assert.ok(cy < 100, pos);
    if (pos.startsWith("bottom")) assert.ok(cy > 100, pos);
    if (pos === "top" || pos === "bottom") assert.equal(cx, 100);
  }
  assert.deepEqual(Lb.candidate("center", 100, 100, 0, 40, 16),
    {left: 80, top: 92, right: 120, bottom: 108});
});

test("group: a dot overlapping one of higher priority folds into it, with a count", () => {
  // Priority order: a city, then three sites inside its dot's reach, then a town apart.
  const items = [dot(100, 100, 6), dot(103, 101, 4), dot(95, 98, 4), dot(130, 100, 4),
    dot(131, 101, 4), dot(100, 100, 0)];
  const g = Lb.group(items);
  assert.deepEqual(g.into, [-1, 0, 0, -1, 3, -1]);  // a label without a dot is never grouped
  assert.deepEqual(g.count, [2, 0, 0, 1, 0, 0]);
  // Zoomed in (eight times as far apart): no two dots touch, nothing grouped.
  const apart = items.map((d) => dot(d.x * 8, d.y * 8, d.r));
  assert.deepEqual(Lb.group(apart).into, [-1, -1, -1, -1, -1, -1]);
});

test("place: the label takes the first free side and never sits by another dot", () => {
  // Idlib and Saraqib, 36 px apart on a line: Idlib's label may not go right (Saraqib's
  // dot), so it goes left; Saraqib's goes right.
  const items = [dot(100, 100, 6, 30, 16), dot(136, 100, 6, 44, 16)];
  const out = Lb.place(items, null);
  assert.equal(out[0].pos, "left");
  assert.equal(out[1].pos, "right");
  // Each label is nearer its own dot than any other dot.
  out.forEach((o, j) => {
    const [cx] = centre(o.box);
    const own = Math.abs(cx - items[j].x), other = Math.abs(cx - items[1 - j].x);
    assert.ok(own < other, j);
  });
});

test("place: crowded labels go round their dot, then hide; grouped ones show nothing", () => {
  // Four dots in a column, 11 px apart: the last one's label has room on the left only.
  const items = [dot(100, 100, 5, 60, 16), dot(100, 122, 5, 60, 16), dot(100, 144, 5, 60, 16),
    dot(100, 111, 5, 60, 16), dot(300, 300, 5, 40, 16),
    // A dot ringed by four others 13 px away: no side of it is free.
    dot(500, 87, 5), dot(500, 113, 5), dot(487, 100, 5), dot(513, 100, 5),
    dot(500, 100, 5, 40, 16)];
  const into = items.map((d, j) => (j === 4 ? 0 : -1));
  const out = Lb.place(items, into);
  assert.deepEqual(out.map((o) => o.pos),
    ["right", "right", "right", "left", null, null, null, null, null, null]);
  const shown = out.filter((o) => o.pos).map((o) => o.box);
  for (let a = 0; a < shown.length; a++) {
    for (let b = a + 1; b < shown.length; b++) assert.ok(!Lb.overlaps(shown[a], shown[b]));
  }
});

test("place: a dot's label stays inside the view, else hides", () => {
  const view = {left: 0, top: 0, right: 200, bottom: 100};
  const items = [dot(170, 50, 5, 40, 16), dot(20, 50, 5, 40, 16), dot(100, 3, 5, 40, 16),
    dot(250, 50, 5, 40, 16)];
  const out = Lb.place(items, null, view);
  assert.equal(out[0].pos, "left");  // right would run past the edge
  assert.equal(out[1].pos, "right");
  assert.equal(out[2].pos, "bottom-right");  // beside, above: cut by the top edge
  assert.equal(out[3].pos, "right");  // a dot off the view: placed as usual
  assert.equal(Lb.place([dot(190, 50, 5, 250, 16)], null, view)[0].pos, null);
});

test("place: fixed labels are centred or hidden; zero-width labels are skipped", () => {
  const items = [dot(100, 100, 5, 40, 16), dot(200, 100, 0, 80, 16, {fixed: true}),
    dot(110, 90, 0, 80, 16, {fixed: true}), dot(400, 400, 5, 0, 0)];
  const out = Lb.place(items, null);
  assert.equal(out[1].pos, "center");
  assert.deepEqual(centre(out[1].box), [200, 100]);
  assert.equal(out[2].pos, null);  // over the first dot and its label
  assert.equal(out[3].pos, null);
  assert.equal(out[3].box, null);
});

test("place: many random labels never overlap and stay beside their own dot", () => {
  const rnd = random(7);
  const items = [];
  for (let k = 0; k < 300; k++) items.push(dot(rnd(800), rnd(600), 3 + rnd(4), 20 + rnd(60), 16));
  const g = Lb.group(items);
  const out = Lb.place(items, g.into);
  const shown = [];
  out.forEach((o, j) => {
    if (!o.pos) return;
    assert.equal(g.into[j], -1);
    shown.push(o.box);
    // Adjacent to its own dot (within a few pixels) and clear of every other visible dot.
    const own = items[j], b = o.box;
    const dx = Math.max(b.left - own.x, 0, own.x - b.right);
    const dy = Math.max(b.top - own.y, 0, own.y - b.bottom);
    assert.ok(Math.hypot(dx, dy) <= own.r + 2, j);
    items.forEach((d, k) => {
      if (k !== j && g.into[k] < 0) assert.ok(!Lb.coversDot(b, d), j + " on " + k);
    });
  });
  assert.ok(shown.length > 100, String(shown.length));
  for (let a = 0; a < shown.length; a++) {
    for (let c = a + 1; c < shown.length; c++) assert.ok(!Lb.overlaps(shown[a], shown[c]));
  }
});

test("a main place crowded by villages: the villages' dots in its way give way, not its name", () => {
  const L2 = load(["util.js", "labels.js"]).labels;
  // A city at (100, 100) ringed by village dots 12 px away, all round.
  const items = [{x: 100, y: 100, r: 6, w: 50, h: 14}];
  for (let a = 0; a < 16; a++) {
    const t = a * Math.PI / 8;
    items.push({x: 100 + 14 * Math.cos(t), y: 100 + 14 * Math.sin(t), r: 3, w: 40, h: 12,
      minor: true});
  }
  const out = L2.place(items, null, null);
  assert.ok(out[0].pos, "the city keeps its name");
  const gone = out.map((o, j) => (o.hidden ? j : -1)).filter((j) => j > 0);
  assert.ok(gone.length > 0 && gone.length < 16, gone);
  for (let j = 1; j < items.length; j++) {  // every dot left is clear of the city's name
    if (!out[j].hidden) assert.ok(!L2.coversDot(out[0].box, items[j]), j);
    else assert.equal(out[j].pos, null);
  }
  // A minor place in the same crowd does not push the others away: it gives way itself.
  const minor = items.map((it) => Object.assign({}, it, {minor: true}));
  assert.equal(L2.place(minor, null, null)[0].pos, null);
});
