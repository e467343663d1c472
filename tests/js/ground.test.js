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
  // holder 1 has the most border: painted first, over the outline of the opaque ground (its
  // outer sides and the hole's ring, not the arc it shares with holder 0), then holder 0
  assert.deepEqual(fills, ["#222222", "#111111"]);
  assert.deepEqual(G.outline(geom, [0, 1, 2], (h) => h !== 2), [1, 2, 3]);
  const moves = ctx.log.map((e) => e[0]).join(" ");
  assert.equal(moves.split("beginPath").length - 1, 2);
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
  // the lines: the shared points are not repeated, every front is drawn once
  const lines = G.frontLines(geom, fronts, [0, 1, 2], {scale: 1, ox: 0, oy: 0});
  assert.deepEqual(Array.from(lines.start), [0, 4]);
  assert.deepEqual(Array.from(lines.closed), [0]);
  const ring = G.frontLines(geom, fronts, [4, 5, 6], {scale: 1, ox: 0, oy: 0});
  assert.deepEqual(Array.from(ring.start), [0, 4]);
  assert.deepEqual(Array.from(ring.closed), [1]);
  // at ratio 1, two pixels wide: three hairlines side by side, each one sub-path of 4 points
  const ctx = recorder();
  G.paintFronts(ctx, geom, fronts, [0, 1, 2], {scale: 1, ox: 0, oy: 0}, "#000", 2);
  assert.deepEqual(ctx.log.map((e) => e[0]), ["beginPath",
    "moveTo", "lineTo", "lineTo", "lineTo", "moveTo", "lineTo", "lineTo", "lineTo",
    "moveTo", "lineTo", "lineTo", "lineTo", "stroke"]);
  assert.equal(ctx.lineWidth, 1);
  // on a 3x screen, a 3.5-pixel front needs too many hairlines: one round-joined stroke
  const wide = recorder();
  wide.getTransform = () => ({a: 3});
  G.paintFronts(wide, geom, fronts, [0, 1, 2], {scale: 1, ox: 0, oy: 0}, "#000", 3.5);
  assert.deepEqual(wide.log.map((e) => e[0]), ["beginPath", "moveTo", "lineTo", "lineTo",
    "lineTo", "stroke"]);
  assert.equal(wide.lineWidth, 3.5);
  assert.equal(wide.lineJoin, "round");
  // the node tables are left clean for the next call
  assert.ok(geom.head.every((h) => h === -1) && geom.deg.every((d) => d === 0));
});

test("hairlines: enough to leave no gap, offsets along the normals, mitred at turns", () => {
  assert.equal(G.hairs(2, 1), 3);
  assert.equal(G.hairs(3.5, 1), 4);  // 2.5 pixels between the outer ones: 0.83 apart
  assert.equal(G.hairs(1, 1), 2);
  assert.equal(G.hairs(3.5, 3), 13);
  const off = (pts) => {
    const n = pts.length / 2, a = () => new Float64Array(n);
    const nx = a(), ny = a();
    G.offsets([7, 7].concat(pts), 1, n + 1, !!pts.closed, nx, ny, a(), a());  // after a point
    return [Array.from(nx, (v) => Math.round(v * 1e6) / 1e6 + 0),
      Array.from(ny, (v) => Math.round(v * 1e6) / 1e6 + 0)];
  };
  // a line running along x: shifted along y, the same at every point
  assert.deepEqual(off([0, 0, 5, 0, 9, 0]), [[0, 0, 0], [1, 1, 1]]);
  // a right-angle turn: the corner's shift is the mitre, sqrt(2) long
  const [cx, cy] = off([0, 0, 10, 0, 10, 10]);
  assert.deepEqual([cx[1], cy[1]], [-1, 1]);
  assert.deepEqual([cx[2], cy[2]], [-1, 0]);
  // a hairpin: the mitre is cut at MITRE (2) times the distance
  const [hx, hy] = off([0, 0, 10, 0, 0, 0.5]);
  assert.ok(Math.hypot(hx[1], hy[1]) <= 2 + 1e-9);
  // repeated points take the next segment's normal
  assert.deepEqual(off([3, 3, 3, 3, 3, 8]), [[-1, -1, -1], [0, 0, 0]]);
  // a closed ring: the first and last points get the same mitre
  const ring = [0, 0, 10, 0, 10, 10, 0, 10, 0, 0];
  ring.closed = true;
  const [rx, ry] = off(ring);
  assert.deepEqual([rx[0], ry[0]], [rx[4], ry[4]]);
  assert.deepEqual([rx[0], ry[0]], [1, 1]);
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

// The zoom-0 point of a canvas pixel's centre as [lat, lon] (the inverse of mercator).
function pixelLatLon(i, j, view) {
  const x = ((i + 0.5) / view.ratio + view.ox) / view.scale;
  const y = ((j + 0.5) / view.ratio + view.oy) / view.scale;
  const lat = Math.atan(Math.sinh(Math.PI * (1 - y / 128))) / (Math.PI / 180);
  return [lat, (x / 256 - 0.5) * 360];
}

test("the atom raster holds, per pixel, the atom its centre is in (as the hit test finds)", () => {
  const geom = sample();
  for (const ratio of [1, 2]) {
    const scale = 64, [x0, y0] = G.mercator(1, 0);  // lat 1, lon 0: the samples' top left
    const view = {scale, ratio, ox: x0 * scale - 7.3, oy: y0 * scale - 5.1};
    const w = 110 * ratio, h = 60 * ratio;
    const ids = G.rasterise(geom, G.scaled(geom, scale), scale, view.ox, view.oy, ratio, w, h);
    assert.equal(ids.length, w * h);
    const seen = new Set();
    let wrong = 0;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const [lat, lon] = pixelLatLon(i, j, view);
        if (ids[j * w + i] !== G.atomAt(geom, lat, lon)) wrong++;
        seen.add(ids[j * w + i]);
      }
    }
    assert.equal(wrong, 0);
    assert.deepEqual([...seen].sort(), [-1, 0, 1, 2]);
  }
});

test("the atom raster: atoms off the canvas cost nothing and paint nothing", () => {
  const geom = sample(), scale = 64, [x0, y0] = G.mercator(1, 0);
  const ids = G.rasterise(geom, G.scaled(geom, scale), scale, x0 * scale + 1000, y0 * scale,
    1, 50, 40);
  assert.ok(ids.every((k) => k === -1));
  // a canvas inside atom 0: all atom 0, edges of the atom well outside the canvas
  const inner = G.rasterise(geom, G.scaled(geom, scale), scale, x0 * scale + 20,
    y0 * scale + 20, 1, 20, 15);
  assert.ok(inner.every((k) => k === 0));
});

test("pattern ink over the raster: bands turned 45 degrees, anchored at layer point 0", () => {
  const w = 64, h = 48;
  const frac = (a) => a.reduce((s, v) => s + v, 0) / 255 / a.length;
  const hatch = G.inkCover("hatch", w, h, 1, 0, 0);
  assert.ok(hatch.some((v) => v === 0) && hatch.some((v) => v === 255));
  assert.ok(Math.abs(frac(hatch) - 1.25 / 8) < 0.03, frac(hatch));
  assert.ok(frac(G.inkCover("cross", w, h, 1, 0, 0)) > frac(hatch) + 0.2);
  assert.ok(Math.abs(frac(G.inkCover("dots", w, h, 1, 0, 0)) - Math.PI * 1.8 * 1.8 / 64) < 0.03);
  // lines at 45 degrees: the same one pixel right and one up; moved with the layer origin
  const shifted = G.inkCover("hatch", w, h, 1, 1, -1);
  assert.deepEqual(shifted, hatch);
  assert.notDeepEqual(G.inkCover("hatch", w, h, 1, 3, 0), hatch);
});

test("raster pixels: each atom in its holder's fill, pattern ink blended, none clear", () => {
  const ids = Int32Array.from([-1, 0, 1, 2, 1, 0]);
  const cur = [5, 7, 9];
  const fills = {5: {colour: "#ff0000", alpha: 1, pattern: null},
    7: {colour: "#0000ff", alpha: 1, pattern: "hatch"}, 9: null};
  const cover = (kind) => {
    assert.equal(kind, "hatch");
    return Uint8Array.from([0, 0, 255, 0, 128, 0]);
  };
  const out = G.rasterPixels(new Uint32Array(6), ids, cur, (c) => fills[c], cover);
  const bytes = new Uint8Array(out.buffer);
  const px = (i) => Array.from(bytes.slice(4 * i, 4 * i + 4));
  assert.deepEqual(px(0), [0, 0, 0, 0]);
  assert.deepEqual(px(1), [255, 0, 0, 255]);
  assert.deepEqual(px(2), [255, 255, 255, 255]);  // full ink
  assert.deepEqual(px(3), [0, 0, 0, 0]);  // holder not drawn
  assert.deepEqual(px(4), [128, 128, 255, 255]);  // half ink: on the way to white
  assert.deepEqual(px(5), [255, 0, 0, 255]);
  const faint = G.rasterPixels(new Uint32Array(1), Int32Array.from([0]), [1],
    () => ({colour: "#abc", alpha: 0.3}), cover);
  assert.deepEqual(Array.from(new Uint8Array(faint.buffer)), [0xaa, 0xbb, 0xcc, 77]);
});

test("fronts from the raster: both pixels of each pair whose known holders differ", () => {
  // 4 x 3 pixels: atoms 0 | 1 side by side, atom 2 below both on the last row, -1 at the end
  const ids = Int32Array.from([0, 0, 1, 1, 0, 0, 1, -1, 2, 2, 2, 2]);
  const cur = [3, 4, 3];  // atoms 0 and 2 held by 3, atom 1 by 4
  const shown = (a, b) => a >= 0 && b >= 0 && a !== b;
  const out = G.frontPixels(new Uint32Array(12).fill(9), ids, 4, 3, cur, shown, 7);
  assert.deepEqual(Array.from(out), [0, 7, 7, 0, 0, 7, 7, 0, 0, 0, 7, 0]);
  // one holder everywhere: no front
  const none = G.frontPixels(new Uint32Array(12), ids, 4, 3, [3, 3, 3], shown, 7);
  assert.ok(none.every((v) => v === 0));
});

test("a step repaints only the atoms that changed, to the pixels of a whole repaint", () => {
  const geom = sample(), scale = 64, [x0, y0] = G.mercator(1, 0), w = 110, h = 60;
  const boxes = new Int32Array(12);
  const ids = G.rasterise(geom, G.scaled(geom, scale), scale, x0 * scale - 7, y0 * scale - 5,
    1, w, h, boxes);
  for (let k = 0; k < 3; k++) {  // each box holds all of its atom's pixels, tightly
    let n = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (ids[y * w + x] !== k) continue;
        n++;
        assert.ok(x >= boxes[4 * k] && x < boxes[4 * k + 2] && y >= boxes[4 * k + 1] &&
          y < boxes[4 * k + 3]);
      }
    }
    assert.ok(n > 0);
  }
  const fills = {3: {colour: "#ff0000", alpha: 1}, 4: {colour: "#0000ff", alpha: 1, pattern: "dots"},
    5: {colour: "#00ff00", alpha: 0.3}};
  const cover = (kind) => G.inkCover(kind, w, h, 1, 0, 0);
  const shown = (a, b) => a >= 0 && b >= 0 && a !== b;
  let cur = [3, 3, 4], pixels = G.rasterPixels(new Uint32Array(w * h), ids, cur, (c) => fills[c], cover);
  let last = G.atomFills(cur, (c) => fills[c], cover);
  let fronts = G.frontPixels(new Uint32Array(w * h), ids, w, h, cur, shown, 7);
  for (const next of [[3, 4, 4], [5, 4, 3], [5, 5, 5], [3, 3, 4]]) {
    const f = G.atomFills(next, (c) => fills[c], cover), moved = G.changedFills(last, f, boxes);
    G.repaintAtoms(pixels, G.atomRuns(ids, w, 3), f, moved.list);
    assert.deepEqual(pixels, G.rasterPixels(new Uint32Array(w * h), ids, next, (c) => fills[c], cover));
    const list = [0, 1, 2].filter((k) => cur[k] !== next[k]);
    G.frontAtoms(fronts, ids, w, h, next, shown, 7, list, boxes);
    assert.deepEqual(fronts, G.frontPixels(new Uint32Array(w * h), ids, w, h, next, shown, 7));
    // the same from the pairs of different atoms listed once
    assert.deepEqual(fronts, G.frontPixels(new Uint32Array(w * h), ids, w, h, next, shown, 7,
      G.edgePairs(ids, w)));
    cur = next; last = f;
  }
});

test("atomFills written over an earlier result equals a new one; changedFills' list is its own", () => {
  const fills = {3: {colour: "#ff0000", alpha: 1}, 4: {colour: "#0000ff", alpha: 1, pattern: "dots"},
    5: {colour: "#00ff00", alpha: 0.3}};
  const cover = () => new Uint8Array(4);
  const plain = (f) => [Array.from(f.colour), Array.from(f.ink), Array.from(f.kindOf)];
  const spare = G.atomFills([5, 5, 5], (c) => fills[c], cover);
  const again = G.atomFills([3, 4, 5], (c) => fills[c], cover, spare);
  assert.equal(again.colour, spare.colour);  // the same arrays, written over
  assert.deepEqual(plain(again), plain(G.atomFills([3, 4, 5], (c) => fills[c], cover)));
  const boxes = Int32Array.from([0, 0, 1, 1, 1, 0, 2, 1, 2, 0, 3, 1]);
  const last = G.atomFills([3, 3, 3], (c) => fills[c], cover);
  const moved = G.changedFills(last, G.atomFills([3, 4, 5], (c) => fills[c], cover), boxes);
  assert.deepEqual(Array.from(moved.list), [1, 2]);
  assert.deepEqual(Array.from(moved.box), [1, 0, 3, 1]);
});

test("raster or paths: by the border vertices at the zoom, decided once a zoom", () => {
  const keep = [G.RASTER_ATOMS, G.RASTER_VERTICES];
  try {
    G.RASTER_ATOMS = 100;
    // Holders 0 | 1 | 1: the borders are arcs 0, 1 and 2 (2 + 4 + 4 vertices, none thinned
    // at this scale); with holders 0 | 0 | 0, only the edge (arcs 1 and 2).
    const scale = 1 << 12;
    G.RASTER_VERTICES = 9;
    const mixed = sample();
    assert.equal(G.rasterAt(mixed, Int16Array.from([0, 1, 1]), {scale}), true);
    // the same zoom on another date: as decided
    assert.equal(G.rasterAt(mixed, Int16Array.from([0, 0, 0]), {scale}), true);
    const one = sample();
    assert.equal(G.rasterAt(one, Int16Array.from([0, 0, 0]), {scale}), false);
    G.RASTER_VERTICES = 10;
    assert.equal(G.rasterAt(sample(), Int16Array.from([0, 1, 1]), {scale}), false);
    // Only the vertices on the canvas count: a canvas off to the side sees none.
    G.RASTER_VERTICES = 0;
    const away = {x: -1e6, y: -1e6, width: 10, height: 10, ratio: 1};
    assert.equal(G.rasterAt(sample(), Int16Array.from([0, 1, 1]),
      {scale, ox: 0, oy: 0, pixels: away}), false);
    assert.equal(G.rasterAt(sample(), Int16Array.from([0, 1, 1]),
      {scale, ox: 0, oy: 0, pixels: {x: 0, y: 0, width: 1e7, height: 1e7, ratio: 1}}), true);
    G.RASTER_ATOMS = 2;  // more atoms than that: the raster, whatever the borders
    assert.equal(G.rasterAt(sample(), Int16Array.from([0, 0, 0]), {scale}), true);
  } finally {
    [G.RASTER_ATOMS, G.RASTER_VERTICES] = keep;
  }
});

test("a view's memo keeps the base holder and the paths of holders that did not change", () => {
  const geom = sample();
  let built = 0;
  global.Path2D = class { constructor() { built++; this.log = []; }
    moveTo(x, y) { this.log.push(["M", x, y]); } lineTo(x, y) { this.log.push(["L", x, y]); } };
  try {
    const ctx = recorder();
    const fills = [];
    Object.defineProperty(ctx, "fillStyle", {set: (v) => fills.push(v)});
    const fillOf = (c) => (c === 2 ? null : {colour: ["#111111", "#222222"][c], alpha: 1,
      pattern: null});
    const memo = {}, view = {scale: S20, ox: 0, oy: 0, memo};
    G.paintAreas(ctx, geom, Int16Array.from([0, 1, 2]), fillOf, view);
    assert.equal(memo.base, 1);
    assert.equal(built, 2);  // the opaque ground's outline, holder 0
    G.paintAreas(ctx, geom, Int16Array.from([0, 1, 2]), fillOf, view);
    assert.equal(built, 2);  // nothing changed: both paths drawn again as kept
    // atom 2 (the hole, no fill) goes to holder 0: holder 0's path and the outline (an atom
    // went from not opaque to opaque) are made again; holder 1 keeps being the base
    fills.length = 0;
    G.paintAreas(ctx, geom, Int16Array.from([0, 1, 0]), fillOf, view);
    assert.equal(built, 4);
    assert.equal(memo.base, 1);
    assert.deepEqual(fills, ["#222222", "#111111"]);
    // a whole new view (no memo): painted as before, a base of its own
    G.paintAreas(ctx, geom, Int16Array.from([0, 0, 0]), fillOf, {scale: S20, ox: 0, oy: 0});
  } finally {
    delete global.Path2D;
  }
});

test("mergeRects joins boxes that overlap or touch, until none do", () => {
  assert.deepEqual(G.mergeRects([]), []);
  assert.deepEqual(G.mergeRects([[0, 0, 2, 2], [5, 5, 6, 6]]), [[0, 0, 2, 2], [5, 5, 6, 6]]);
  assert.deepEqual(G.mergeRects([[0, 0, 2, 2], [2, 1, 3, 3]]), [[0, 0, 3, 3]]);
  // a chain: the third meets only the union of the first two
  assert.deepEqual(G.mergeRects([[0, 0, 2, 2], [4, 0, 6, 2], [1, 1, 5, 3]]), [[0, 0, 6, 3]]);
});

test("cullFronts keeps the fronts that reach the clip and those meeting them at a node", () => {
  // A path 0 -> 1 -> 2 along y = 0 (lon 0..3), a branch 3 up from (2, 0), and a ring 4-6
  // far off at (5..6, 5..6).
  const ll = (x, y) => [y, x];
  const arcs = [[ll(0, 0), ll(1, 0)], [ll(1, 0), ll(2, 0)], [ll(2, 0), ll(3, 0)],
    [ll(2, 0), ll(2, 1)], [ll(5, 5), ll(6, 5)], [ll(6, 5), ll(6, 6)], [ll(5, 5), ll(6, 6)]];
  const geom = G.geometry(arcs, []);
  const fronts = {arc: [0, 1, 2, 3, 4, 5, 6], a: [], b: []};
  const all = [0, 1, 2, 3, 4, 5, 6];
  const scale = 1024, view = {scale, ox: 0, oy: 0};
  assert.deepEqual(G.cullFronts(geom, fronts, all, view, 2), all);  // no clip: all
  // a clip about the middle of arc 0 (lon 0.5, lat 0): arc 0, and arc 1 that meets it
  const [x, y] = G.mercator(0, 0.5).map((v) => v * scale);
  view.clip = [x - 1, y - 1, x + 1, y + 1];
  assert.deepEqual(G.cullFronts(geom, fronts, all, view, 2), [0, 1]);
  // about arc 2's middle: it, and both fronts meeting it at (2, 0)
  const [x2, y2] = G.mercator(0, 2.5).map((v) => v * scale);
  view.clip = [x2 - 1, y2 - 1, x2 + 1, y2 + 1];
  assert.deepEqual(G.cullFronts(geom, fronts, all, view, 2), [1, 2, 3]);
  // nothing near: none
  view.clip = [0, 0, 1, 1];
  assert.deepEqual(G.cullFronts(geom, fronts, all, view, 2), []);
});
