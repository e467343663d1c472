"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load, leaflet} = require("./_load.js");

const I = load(["util.js", "incidents.js"]).incidents;

test("project is Web Mercator with 256-pixel tiles: Leaflet's own EPSG:3857 pixels", (t) => {
  assert.deepEqual(I.project(0, 0, 0), [128, 128]);
  assert.deepEqual(I.project(0, 180, 1), [512, 256]);
  const L = leaflet();
  if (!L) { t.skip("Leaflet (xstatic-leaflet) not found: set MAPPER_LEAFLET_JS"); return; }
  for (const [lat, lon, zoom] of [[36.2, 37.16, 7], [-33.9, 18.4, 12], [64.1, -21.9, 3],
    [85, 179.9, 2]]) {
    const p = L.CRS.EPSG3857.latLngToPoint(L.latLng(lat, lon), zoom);
    const [x, y] = I.project(lat, lon, zoom);
    assert.ok(Math.abs(x - p.x) < 1e-6 && Math.abs(y - p.y) < 1e-6, [lat, lon, x, y, p.x, p.y].join());
  }
  // poles are clamped, never infinite
  assert.ok(Number.isFinite(I.project(90, 0, 3)[1]));
});

test("thousands of incidents on a day become at most one mark per screen cell", () => {
  // 5,000 incidents scattered over a 2-degree box, as a bad day in a national export
  const lat = [], lon = [];
  let s = 7;
  const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  for (let i = 0; i < 5000; i++) { lat.push(35 + 2 * rnd()); lon.push(37 + 2 * rnd()); }
  const shown = lat.map((_, i) => i);
  for (const zoom of [5, 7, 9]) {
    const c = I.cluster(lat, lon, shown, zoom, 40);
    // every incident counted once
    assert.equal(c.count.reduce((a, b) => a + b, 0), 5000);
    assert.deepEqual(c.members.flat().sort((a, b) => a - b), shown);
    // the box is (2 deg in px / 40)^2 cells at most, plus the edges
    const [x0, y0] = I.project(37, 35, zoom), [x1, y1] = I.project(39, 37, zoom);
    const bound = (Math.floor(Math.abs(x1 - x0) / 40) + 2) * (Math.floor(Math.abs(y1 - y0) / 40) + 2);
    assert.ok(c.count.length <= bound, zoom + ": " + c.count.length + " > " + bound);
    // no two marks share a cell: their centres lie in distinct cells
    const cells = new Set(c.members.map((m) => {
      const p = I.project(lat[m[0]], lon[m[0]], zoom);
      return Math.floor(p[0] / 40) + ":" + Math.floor(p[1] / 40);
    }));
    assert.equal(cells.size, c.count.length);
  }
  // zooming in splits marks: more marks, fewer incidents each
  assert.ok(I.cluster(lat, lon, shown, 9, 40).count.length > I.cluster(lat, lon, shown, 5, 40).count.length);
});

test("a mark sits at its incidents' mean, keeps the youngest age, and the order is fixed", () => {
  const lat = [36.0, 36.001, 10.0], lon = [37.0, 37.001, 10.0];
  const c = I.cluster(lat, lon, [1, 0, 2], 6, 40, [2, 1, 0]);
  assert.equal(c.count.length, 2);
  const near = c.members.findIndex((m) => m.length === 2);
  assert.deepEqual(c.members[near], [0, 1]);
  assert.ok(Math.abs(c.lat[near] - 36.0005) < 1e-9);
  assert.ok(Math.abs(c.lon[near] - 37.0005) < 1e-9);
  assert.equal(c.age[near], 1);
  // the same incidents in another order give the same marks
  assert.deepEqual(I.cluster(lat, lon, [2, 0, 1], 6, 40, [0, 1, 2]), c);
  // rows first: the southern mark (larger y) comes after the northern one
  assert.deepEqual(c.count, [2, 1]);
});

test("radius grows with the square root of the count, capped at half a cell", () => {
  assert.equal(I.radius(1, 40), 5);
  assert.equal(I.radius(4, 40), 10);
  assert.equal(I.radius(10000, 40), 20);
  assert.equal(I.radius(0, 40), 5);
});

test("label, opacity and the incidents shown on a day", () => {
  assert.deepEqual([7, 950, 1000, 1234, 12345].map(I.label), ["7", "950", "1k", "1.2k", "12k"]);
  assert.equal(I.opacity(0, 3), 1);
  assert.ok(Math.abs(I.opacity(1, 3) - 2 / 3) < 1e-12);
  assert.equal(I.opacity(5, 3), 0);
  assert.equal(I.opacity(0, 0), 1);
  const on = [[0], [], [1, 2], [3]];
  assert.deepEqual(I.shownOn(on, 3, 3), {shown: [3, 1, 2], age: [0, 1, 1]});
  assert.deepEqual(I.shownOn(on, 0, 3), {shown: [0], age: [0]});
  assert.deepEqual(I.shownOn(on, 9, 1), {shown: [], age: []});
});
