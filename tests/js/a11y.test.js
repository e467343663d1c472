"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const M = load(["util.js", "chart.js", "a11y.js"]);
const A = M.a11y;

test("names: one, two, a list, and how many more past four", () => {
  assert.equal(A.names(["A"]), "A");
  assert.equal(A.names(["A", "B"]), "A and B");
  assert.equal(A.names(["A", "B", "C"]), "A, B and C");
  assert.equal(A.names(["A", "B", "C", "D"]), "A, B, C and D");
  assert.equal(A.names(["A", "B", "C", "D", "E", "F"]), "A, B, C, D and 2 more");
});

test("summary: a sentence per side with ground or places, shares of the whole", () => {
  const held = [
    [{name: "Hama", kind: "city", pop: 10}, {name: "Damascus", kind: "capital", pop: 5},
      {name: "Homs", kind: "city", pop: 20}, {name: "Ab", kind: "site", pop: 0}],
    [{name: "Idlib", kind: "city", pop: 0}],
    [],
    [{name: "Aleppo", kind: "city", pop: 0}],
    []];
  const text = A.summary("30 November 2024", ["Gov", "HTS", "SNA", "Contested", "No data"],
    [12345.6, 4.4, 0, 0, 650], held, M.chart.formatArea);
  assert.equal(text, "30 November 2024. Gov: 12,346 km² (95%), including Damascus, Homs, " +
    "Hama and Ab. HTS: 4.4 km² (0%), including Idlib. Contested: 0 km² (0%), including " +
    "Aleppo. No data: 650 km² (5%).");
  // No ground measured at all: the places only, no shares.
  assert.equal(A.summary("1 May 2022", ["A", "B"], [0, 0], [[{name: "X", kind: "town"}], []],
    M.chart.formatArea), "1 May 2022. A: X.");
});

test("summary names the same first places as sorting the whole list would", () => {
  const kinds = ["capital", "city", "town", "village"], held = [];
  let seed = 7;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 500; i++) {
    held.push({name: "P" + rnd(60), kind: kinds[rnd(4)], pop: rnd(3) ? rnd(5) * 1000 : undefined});
  }
  const order = {capital: 0, city: 1, town: 2};
  const sorted = held.map((p) => ({name: p.name, pop: p.pop || 0,
    order: order[p.kind] !== undefined ? order[p.kind] : 3}))
    .sort((a, b) => a.order - b.order || b.pop - a.pop || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => p.name);
  const text = A.summary("1 May 2022", ["A"], [0], [held], String);
  assert.equal(text, "1 May 2022. A: " + A.names(sorted) + ".");
});
