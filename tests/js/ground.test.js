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

test("an atom's ring walks its arcs, reversed ones backwards, without repeating ends", () => {
  const geom = sample();
  const xy = G.scaled(geom, 1 << 20);
  const ctx = recorder();
  G.traceAtom(ctx, geom.rings[0], xy, 0, 0);
  const kinds = ctx.log.map((e) => e[0]);
  assert.deepEqual(kinds, ["moveTo", "lineTo", "lineTo", "lineTo", "lineTo", "closePath"]);
  // atom 1: the shared arc reversed, from (1,1) down to (1,0), then its own arc round
  const ctx1 = recorder();
  G.traceAtom(ctx1, geom.rings[1], xy, 0, 0);
  const pts = ctx1.log.filter((e) => e[0] !== "closePath");
  // outer ring: arc 2's four vertices, then arc 0 backwards less its first; then the hole
  assert.equal(pts.length, 4 + 1 + 5);
  assert.deepEqual(pts[4].slice(1), pts[0].slice(1));  // back at (1, 0) through the shared arc
  assert.equal(pts[5][0], "moveTo");
});

test("one path and one fill per holder, atoms out of view skipped", () => {
  const geom = sample();
  const ctx = recorder();
  ctx.globalAlpha = 1;
  const fills = [];
  Object.defineProperty(ctx, "fillStyle", {set: (v) => fills.push(v)});
  const cur = Int16Array.from([0, 1, 0]);
  const fillOf = (c) => ({colour: ["#111111", "#222222"][c], alpha: 1, pattern: null});
  G.paintAreas(ctx, geom, cur, fillOf, {scale: 1 << 20, ox: 0, oy: 0, box: null});
  assert.equal(ctx.log.filter((e) => e[0] === "fill").length, 2);
  assert.deepEqual(fills, ["#111111", "#222222"]);
  assert.ok(ctx.log.every((e) => e[0] !== "fill" || e[1] === "evenodd"));
  // A view box west of longitude 0.9: atoms 1 and 2 (longitudes 1 to 2) are skipped.
  const ctx2 = recorder();
  Object.defineProperty(ctx2, "fillStyle", {set: () => {}});
  const s = 1 << 20, x1 = G.mercator(0, 0.9)[0] * s;
  G.paintAreas(ctx2, geom, Int16Array.from([0, 1, 1]), fillOf,
    {scale: s, ox: 0, oy: 0, box: [0, 0, x1, 1e12]});
  assert.equal(ctx2.log.filter((e) => e[0] === "fill").length, 1);
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
