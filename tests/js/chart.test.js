"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const C = load(["util.js", "chart.js"]).chart;
const FACTIONS = [{id: "a", label: "Side A", colour: "#111111"},
  {id: "b", label: "Side B (north)", colour: "#222222"}];

test("territory series: each day filled from the change days, km² from tenths", () => {
  // As mapper/render/payload.py's _territory sends it: figures on days 0 and 2 only, each
  // side's tenths of km² as differences.
  const T = {sides: ["a", "b", "contested", "unknown"], day: [0, 2],
    km2: [[100, -50], [0, 50], [0, 0], [3, -3]], pop: [[1000, 0], [0, 2500], [0, 0], [0, 0]]};
  const s = C.series(T, 4, FACTIONS);
  assert.equal(s.ns, 4);
  const day = (d) => Array.from(s.km2.slice(d * 4, d * 4 + 4));
  assert.deepEqual([0, 1, 2, 3].map(day), [[10, 0, 0, 0.3], [10, 0, 0, 0.3], [5, 5, 0, 0],
    [5, 5, 0, 0]]);
  assert.deepEqual(Array.from(s.pop.slice(8, 12)), [1000, 2500, 0, 0]);
  assert.ok(Math.abs(s.top - 10) < 1e-9);  // no data is counted, not stacked
  assert.equal(s.anyPop, true);
  assert.deepEqual(s.sides.map((x) => [x.label, x.colour, x.shown]), [
    ["Side A", "#111111", true], ["Side B (north)", "#222222", true],
    ["Contested", "#6d6d6d", false], ["No data", "#cfcfcf", true]]);
  assert.deepEqual(C.figures(s, 0), ["Side A: 10 km², 1,000 people", "Side B (north): 0 km²",
    "No data: 0.3 km²"]);
  assert.deepEqual(C.figures(s, 3), ["Side A: 5.0 km², 1,000 people",
    "Side B (north): 5.0 km², 2,500 people", "No data: 0 km²"]);
});

test("no population known: no people in the figures; nothing held: top 0", () => {
  const T = {sides: ["a", "b", "contested", "unknown"], day: [0],
    km2: [[123456], [0], [0], [0]], pop: null};
  const s = C.series(T, 2, FACTIONS);
  assert.equal(s.anyPop, false);
  assert.deepEqual(C.figures(s, 1), ["Side A: 12,346 km²"]);
  const empty = C.series({sides: ["a", "b", "contested", "unknown"], day: [0],
    km2: [[0], [0], [0], [0]], pop: null}, 3, FACTIONS);
  assert.equal(empty.top, 0);
  assert.ok(empty.sides.every((x) => !x.shown));
});

test("areas: a decimal under 10 km², thousands above", () => {
  assert.equal(C.formatArea(0), "0 km²");
  assert.equal(C.formatArea(0.04), "0.0 km²");
  assert.equal(C.formatArea(9.96), "10.0 km²");
  assert.equal(C.formatArea(10), "10 km²");
  assert.equal(C.formatArea(1234567.4), "1,234,567 km²");
});
