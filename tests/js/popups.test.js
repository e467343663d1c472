"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const M = load(["util.js", "popups.js"]);
const Pp = M.popups;
const LABELS = ["Government", "HTS"];
const label = (c) => LABELS[c];
const dateOf = (e) => "day " + e;

test("history of control: since, from, until, unknown before the first", () => {
  // Events 0..3 of one place: HTS on day 2, an incident (ctl -2) on day 3, Government on 5.
  const ev = {day: [2, 3, 5, 9], ctl: [1, -2, 0, 1], src: [4, -1, 7, 2]};
  const history = (day) => Pp.history([0, 1, 2], ev, day, label, dateOf);
  assert.deepEqual(history(0), [
    {text: "Unknown until day 0", current: true, sources: []},
    {text: "HTS from day 0", current: false, sources: [4]},
    {text: "Government from day 2", current: false, sources: [7]}]);
  assert.deepEqual(history(3), [
    {text: "HTS since day 0", current: true, sources: [4]},
    {text: "Government from day 2", current: false, sources: [7]}]);
  assert.deepEqual(history(5), [
    {text: "HTS from day 0 until day 2", current: false, sources: [4]},
    {text: "Government since day 2", current: true, sources: [7]}]);
  assert.deepEqual(Pp.history([1], ev, 4, label, dateOf),
    [{text: "No recorded control", current: true, sources: []}]);
  assert.deepEqual(Pp.history([], ev, 4, label, dateOf),
    [{text: "No recorded control", current: true, sources: []}]);
});

test("history: a second event of the same change only adds its source", () => {
  // Day 2: two reports of HTS (sources 4 and 5); day 5: Government, no source.
  const ev = {day: [2, 2, 5], ctl: [1, 1, 0], src: [4, 5, -1]};
  assert.deepEqual(Pp.history([0, 1, 2], ev, 6, label, dateOf), [
    {text: "HTS from day 0 until day 2", current: false, sources: [4, 5]},
    {text: "Government since day 2", current: true, sources: []}]);
});

test("column names read as words", () => {
  assert.equal(Pp.humanise("source_id"), "Source");
  assert.equal(Pp.humanise("casualties_note"), "Casualties note");
  assert.equal(Pp.humanise("population"), "Population");
  assert.equal(Pp.humanise("id"), "Identifier");
});

test("source dates as precise as given, with the publisher", () => {
  const sources = {published: ["2024-12-01", "2024-12-01", "", "soon", "2016-05-01"],
    published_prec: [0, 1, 0, 0, 2], publisher: ["BBC", "", "Reuters", "", ""]};
  assert.equal(Pp.sourceDate(sources, 0), "1 December 2024");
  assert.equal(Pp.sourceDate(sources, 1), "December 2024");
  assert.equal(Pp.sourceDate(sources, 2), "");
  assert.equal(Pp.sourceDate(sources, 3), "soon");  // not a date: as it is
  assert.equal(Pp.sourceDate(sources, 4), "2016");
  assert.equal(Pp.sourceMeta(sources, 0), "BBC, 1 December 2024");
  assert.equal(Pp.sourceMeta(sources, 1), "December 2024");
  assert.equal(Pp.sourceMeta(sources, 2), "Reuters");
  delete sources.published_prec;
  assert.equal(Pp.sourceDate(sources, 1), "1 December 2024");
});

test("legend samples imitate the area patterns", () => {
  assert.equal(Pp.areaSample("#123456", undefined), "#123456");
  assert.match(Pp.areaSample("#123456", "hatch"), /^repeating-linear-gradient\(45deg.*#123456$/);
  assert.equal((Pp.areaSample("#1", "cross").match(/repeating-linear-gradient/g) || []).length, 2);
  assert.match(Pp.areaSample("#1", "dots"), /^radial-gradient/);
});
