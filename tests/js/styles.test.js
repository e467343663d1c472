"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const S = load(["util.js", "styles.js"]).styles;
const FACTIONS = [{id: "government", label: "Government", colour: "#c0392b"},
  {id: "hts", label: "HTS", colour: "#2e7d32", dash: "6 3", pattern: "hatch"}];

test("controller labels, ids and colours: factions, contested, unknown", () => {
  const st = S.create(FACTIONS);
  assert.equal(st.CONTESTED, 2);
  assert.deepEqual([0, 1, 2, -1].map(st.controllerLabel), ["Government", "HTS", "Contested",
    "Unknown"]);
  assert.deepEqual([0, 1, 2, -1].map((c) => st.controllerId(c, null)),
    ["government", "hts", "contested", null]);
  assert.equal(st.controllerId(-1, ""), "");
  assert.deepEqual([0, 1, 2, -1].map(st.colourOf), ["#c0392b", "#2e7d32", S.UNKNOWN_COLOUR,
    S.UNKNOWN_COLOUR]);
  assert.deepEqual([0, 1, 2, -1].map(st.lineColour), ["#c0392b", "#2e7d32", "#555555",
    S.UNKNOWN_COLOUR]);
  assert.deepEqual([0, 1, 2, -1].map(st.dashOf), [null, "6 3", null, null]);
});

test("marker styles: contested white with a dashed ring, unknown grey", () => {
  const st = S.create(FACTIONS);
  assert.deepEqual(st.markerStyle(0), {fillColor: "#c0392b", fillOpacity: 0.95,
    color: "#1f1f1f", weight: 1.2, dashArray: null, shape: "circle", look: "holder 0"});
  // the look is named by the holder alone (canvas.js keys its marker images on it)
  assert.deepEqual([1, 2, -1].map((c) => st.markerStyle(c).look), ["holder 1", "holder 2",
    "holder -1"]);
  assert.equal(st.markerStyle(1).shape, "square");  // a shape per side, not colour alone
  assert.equal(st.markerStyle(2).shape, "circle");
  assert.equal(st.markerStyle(2).fillColor, "#ffffff");
  assert.equal(st.markerStyle(2).dashArray, "3 2");
  assert.equal(st.markerStyle(-1).fillColor, S.UNKNOWN_COLOUR);
  // every holder's style has the same seven keys (a marker's setStyle writes them by name)
  for (const c of [0, 1, 2, -1]) {
    assert.deepEqual(Object.keys(st.markerStyle(c)).sort(), ["color", "dashArray", "fillColor",
      "fillOpacity", "look", "shape", "weight"]);
  }
});

test("area fills: the faction's colour and pattern, contested striped, unknown faint", () => {
  const st = S.create(FACTIONS);
  assert.deepEqual(st.areaFill(1), {colour: "#2e7d32", alpha: 1, pattern: "hatch"});
  assert.deepEqual(st.areaFill(0), {colour: "#c0392b", alpha: 1, pattern: null});
  assert.deepEqual(st.areaFill(2), {colour: "#bdbdbd", alpha: 1, pattern: "stripes"});
  assert.deepEqual(st.areaFill(-1), {colour: S.UNKNOWN_COLOUR, alpha: 0.3, pattern: null});
});

test("fronts show between two known, different holders", () => {
  assert.equal(S.frontShown(0, 1), true);
  assert.equal(S.frontShown(0, 2), true);  // held against contested
  assert.equal(S.frontShown(1, 1), false);
  assert.equal(S.frontShown(-1, 0), false);
  assert.equal(S.frontShown(-1, -1), false);
});

test("route segments: halves by their ends, a cut mark between two sides", () => {
  assert.deepEqual(S.segmentEnds(0, 1), [0, 1, true]);
  assert.deepEqual(S.segmentEnds(1, 1), [1, 1, false]);
  // One end unknown (or no place there): the whole segment in the known side's colour.
  assert.deepEqual(S.segmentEnds(0, -1), [0, 0, false]);
  assert.deepEqual(S.segmentEnds(-1, 1), [1, 1, false]);
  assert.deepEqual(S.segmentEnds(-1, -1), [-1, -1, false]);
});

test("marker shapes: one per side, corners around the centre", () => {
  const st = S.create(FACTIONS.concat([{id: "c", label: "C", colour: "#000"}]));
  assert.deepEqual([0, 1, 2, 3, -1].map(st.shapeOf),
    ["circle", "square", "triangle", "circle", "circle"]);  // 3 is contested here
  assert.equal(new Set(S.SHAPES).size, S.SHAPES.length);
  for (const shape of S.SHAPES.slice(1)) {
    const pts = S.shapePoints(shape, 10, 20, 5);
    assert.ok(pts.length >= 3, shape);
    const cx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
    const cy = pts.reduce((a, p) => a + p[1], 0) / pts.length;
    assert.ok(Math.abs(cx - 10) < 1e-9 && Math.abs(cy - 20) < 1e-9, shape);
  }
  assert.equal(S.shapePoints("circle", 0, 0, 5), null);
  assert.equal(S.pointsPath(S.shapePoints("square", 0, 0, 4)), "M3.5,-3.5L3.5,3.5L-3.5,3.5L-3.5,-3.5z");
});

test("coast of a ring of land: edges along the ring's boxes left out", () => {
  // A square of land cut by the box's east edge (lon 10): its edge there is no coast.
  const land = [[[[0, 5], [0, 10], [4, 10], [4, 5], [0, 5]]]];
  const coast = S.coastLines(land, [0, -10, 10, 10], null, 1e-6);
  assert.deepEqual(coast, [[[0, 5], [0, 10]], [[4, 10], [4, 5], [0, 5]]]);
  // The inner box's edges too (a hole cut out of the land).
  const both = S.coastLines(land, [-20, -20, 20, 20], [10, -3, 12, 3], 1e-6);
  assert.deepEqual(both, coast);
  assert.equal(S.coastLines(land, [-20, -20, 20, 20], null, 1e-6)[0].length, 5);
});
