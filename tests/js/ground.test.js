"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const M = load(["util.js", "state.js", "styles.js", "ground.js"]);
const G = M.ground;

// Two unit squares side by side (lat/lon), sharing the arc x = 1:
//   atom 0: [0,1] x [0,1], atom 1: [1,2] x [0,1]; atom 1 has a hole [1.25,1.75] x [0.25,0.75]
//   that is atom 2. Arcs: 0 the shared edge (1,0)->(1,1); 1 atom 0's other three sides from
//   (1,1) round to (1,0); 2 atom 1's other sides from (1,0) round to (1,1); 3 the hole ring.
function sample() {
  const ll = (x, y) => [y, x];  // [lat, lon]
  const arcs = [
    [ll(1, 0), ll(1, 1)],
    [ll(1, 1), ll(0, 1), ll(0, 0), ll(1, 0)],
    [ll(1, 0), ll(2, 0), ll(2, 1), ll(1, 1)],
    [ll(1.25, 0.25), ll(1.75, 0.25), ll(1.75, 0.75), ll(1.25, 0.75), ll(1.25, 0.25)],
  ];
  const rings = [[[[0, 1]]], [[[2, -1], [3]]], [[[3]]]];
  return G.geometry(arcs, rings);
}

// A 2D context that records what is drawn.
function recorder() {
  const log = [];
  const ctx = {log};
  for (const name of ["beginPath", "moveTo", "lineTo", "closePath", "fill", "stroke"]) {
    ctx[name] = (...args) => log.push([name, ...args]);
  }
  return ctx;
}

test("mercator places points as Leaflet's EPSG3857 does at zoom 0", () => {
  assert.deepEqual(G.mercator(0, 0), [128, 128]);
  const [x, y] = G.mercator(36.2, 37.15);  // Aleppo
  assert.ok(Math.abs(x - 154.4178) < 1e-3, x);
  assert.ok(Math.abs(y - 100.3515) < 1e-3, y);  // as pyproj's EPSG:3857 gives
  assert.equal(G.mercator(89.9, 180)[1], G.mercator(85.0511287798, 180)[1]);  // clamped
});

test("thinning keeps both ends of each arc, so neighbours still meet", () => {
  const geom = sample();
  const far = G.scaled(geom, 1 << 20), near = G.scaled(geom, 0.25);
  assert.equal(far[1].length, 8);  // every vertex, far apart at zoom 20
  assert.equal(near[1].length, 4);  // two ends only: a degree is 0.18 px at zoom -2
  for (const xy of near) {
    assert.ok(xy.length >= 4);
  }
  assert.equal(G.scaled(geom, 0.25), near);  // cached
});

// The rings traced for holder c: each as its list of points, from the recorded calls.
function rings(geom, cur, c, scale) {
  const ctx = recorder();
  const b = G.borders(geom, Int16Array.from(cur));
  if (!b.arcs[c]) return [];
  G.traceRings(ctx, geom, b.arcs[c], G.scaled(geom, scale), 0, 0);
  const out = [];
  for (const e of ctx.log) {
    if (e[0] === "moveTo") out.push([[e[1], e[2]]]);
    else if (e[0] === "lineTo") out[out.length - 1].push([e[1], e[2]]);
  }
  return out;
}
const S20 = 1 << 20;
const at = (lat, lon) => G.mercator(lat, lon).map((v) => v * S20);
const same = (p, q) => Math.abs(p[0] - q[0]) < 1e-6 && Math.abs(p[1] - q[1]) < 1e-6;

test("a holder's border: the arcs to other holders and the edge, chained into closed rings", () => {
  const geom = sample();
  // All one side: one ring round both squares (the shared arc and the hole are inside).
  let r = rings(geom, [0, 0, 0], 0, S20);
  assert.equal(r.length, 1);
  assert.equal(r[0].length, 4 + 4 - 1);  // arcs 1 and 2, their shared end not repeated
  assert.ok(same(r[0][0], r[0][r[0].length - 1]), "closed");
  // Atom 1 alone (with its hole): an outer ring and the hole's ring, filled even-odd.
  r = rings(geom, [0, 1, 0], 1, S20);
  assert.deepEqual(r.map((x) => x.length).sort(), [5, 5]);
  for (const ring of r) assert.ok(same(ring[0], ring[ring.length - 1]), "closed");
  // Atoms 0 and 2 for side 0: two rings, the left square and the hole's island.
  r = rings(geom, [0, 1, 0], 0, S20);
  assert.equal(r.length, 2);
  const corners = r.flat();
  for (const [lat, lon] of [[0, 0], [1, 0], [1, 1], [0, 1], [0.25, 1.25], [0.75, 1.75]]) {
    assert.ok(corners.some((p) => same(p, at(lat, lon))), String([lat, lon]));
  }
  assert.ok(!corners.some((p) => same(p, at(0, 2))), "no corner of atom 1's outer ring");
  // The head table is left clean for the next holder.
  assert.ok(geom.head.every((h) => h === -1));
});

test("borders: arcs between two atoms of one holder are not borders", () => {
  const geom = sample();
  const b = G.borders(geom, Int16Array.from([0, 1, 1]));
  assert.deepEqual(b.order, [0, 1]);
  assert.deepEqual(b.arcs[0].sort(), [0, 1]);
  assert.deepEqual(b.arcs[1].sort(), [0, 2]);  // the hole ring (arc 3) is inside side 1
});

test("one path and one fill per holder, even-odd", () => {
  const geom = sample();
  const ctx = recorder();
  ctx.globalAlpha = 1;
  const fills = [];
  Object.defineProperty(ctx, "fillStyle", {set: (v) => fills.push(v)});
  const fillOf = (c) => (c === 2 ? null : {colour: ["#111111", "#222222"][c], alpha: 1,
    pattern: null});
  G.paintAreas(ctx, geom, Int16Array.from([0, 1, 2]), fillOf, {scale: S20, ox: 0, oy: 0});
  assert.equal(ctx.log.filter((e) => e[0] === "fill").length, 2);  // holder 2: not drawn
  assert.deepEqual(fills, ["#111111", "#222222"]);
  assert.ok(ctx.log.every((e) => e[0] !== "fill" || e[1] === "evenodd"));
});

test("fronts show where two known holders differ; the hit test finds holes", () => {
  const geom = sample();
  const fronts = {arc: [0, 3], a: [0, 1], b: [1, 2]};
  const shown = M.styles.frontShown;
  assert.deepEqual(G.shownFronts(fronts, [0, 0, 1], shown), [1]);
  assert.deepEqual(G.shownFronts(fronts, [0, 1, -1], shown), [0]);
  assert.equal(G.atomAt(geom, 0.5, 0.5), 0);
  assert.equal(G.atomAt(geom, 0.1, 1.1), 1);
  assert.equal(G.atomAt(geom, 0.5, 1.5), 2);  // inside the hole: the atom within it
  assert.equal(G.atomAt(geom, 0.5, 2.5), -1);
});

test("fronts are stroked as chains through nodes where two of them meet alone", () => {
  // A path 0 -> 1 -> 2 with a branch 3 at the middle node, and a ring of three arcs 4, 5, 6.
  const ll = (x, y) => [y, x];
  const arcs = [[ll(0, 0), ll(1, 0)], [ll(1, 0), ll(2, 0)], [ll(2, 0), ll(3, 0)],
    [ll(2, 0), ll(2, 1)], [ll(5, 5), ll(6, 5)], [ll(6, 5), ll(6, 6)], [ll(5, 5), ll(6, 6)]];
  const geom = G.geometry(arcs, []);
  const fronts = {arc: [0, 1, 2, 3, 4, 5, 6], a: [], b: []};
  // without the branch: one chain 0, 1, 2 (walked either way), and the ring
  const chains = G.frontChains(geom, fronts, [2, 1, 0, 4, 5, 6]);
  assert.equal(chains.length, 2);
  assert.deepEqual(chains[0].map((c) => c[0]).sort(), [0, 1, 2]);
  assert.deepEqual(chains[1].map((c) => c[0]).sort(), [4, 5, 6]);
  // the ring's arcs are walked end to end: 6 runs backwards after 4 and 5
  assert.deepEqual(chains[1], [[4, true], [5, true], [6, false]]);
  // with it, node (2, 0) has three fronts: chains end there
  const split = G.frontChains(geom, fronts, [0, 1, 2, 3]);
  assert.deepEqual(split.map((ch) => ch.map((c) => c[0])), [[0, 1], [2], [3]]);
  // the path: the shared points are not repeated, every front is drawn once
  const ctx = recorder();
  G.paintFronts(ctx, geom, fronts, [0, 1, 2], {scale: 1, ox: 0, oy: 0}, "#000", 2);
  assert.deepEqual(ctx.log.map((e) => e[0]), ["beginPath", "moveTo", "lineTo", "lineTo",
    "lineTo", "stroke"]);
  // the node tables are left clean for the next call
  assert.ok(geom.head.every((h) => h === -1) && geom.deg.every((d) => d === 0));
});

test("compare: ground that moved, km² gained and lost per holder", () => {
  const c = G.compare([0, 0, 1, -1], [0, 1, 1, 0], [100, 25, 30, 7]);
  assert.deepEqual(c.moved, [1, 3]);
  assert.deepEqual(c.gained, {1: 2.5, 0: 0.7});
  assert.deepEqual(c.lost, {0: 2.5, "-1": 0.7});
});

test("the comparison table: a row per side that moved ground, largest net first", () => {
  const C = load(["util.js", "state.js", "styles.js", "ground.js", "compare.js"]).compare;
  const cmp = G.compare([0, 0, 1, -1], [0, 1, 1, 0], [100, 25, 30, 7]);
  assert.deepEqual(C.table(cmp), [[1, 2.5, 0, 2.5], [-1, 0, 0.7, -0.7], [0, 0.7, 2.5, -1.8]]);
  assert.equal(C.signed(1234.4), "+1,234");
  assert.equal(C.signed(-5), "−5");
  assert.equal(C.signed(0.2), "0");
});
