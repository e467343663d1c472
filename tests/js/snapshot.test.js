"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const Sn = load(["util.js", "styles.js", "snapshot.js"]).snapshot;
// A canvas context whose font is 5 pixels a character.
const ctx = {measureText: (text) => ({width: 5 * text.length})};

test("fitText cuts a text short with an ellipsis to fit", () => {
  assert.equal(Sn.fitText(ctx, "Aleppo", 30), "Aleppo");
  assert.equal(Sn.fitText(ctx, "Aleppo offensive", 30), "Alepp…");
  assert.equal(Sn.fitText(ctx, "Aleppo", 3), "A…");  // never less than one character
});

test("the sources of the events up to the shown day, once each", () => {
  const ev = {day: [0, 1, 1, 2, 5], src: [0, -1, 1, 0, 2]};
  const sources = {publisher: ["BBC", "", "Reuters"], title: ["t0", "Report", "t2"]};
  assert.deepEqual(Sn.sourceNames(ev, 5, sources, 0), ["BBC"]);
  assert.deepEqual(Sn.sourceNames(ev, 5, sources, 2), ["BBC", "Report"]);
  assert.deepEqual(Sn.sourceNames(ev, 5, sources, 9), ["BBC", "Report", "Reuters"]);
});

test("the credit line names fewer sources until it fits", () => {
  const tail = " · Screenshot of the interactive map, mapper";
  assert.equal(Sn.creditLine([], () => true), "Sources: none recorded" + tail);
  assert.equal(Sn.creditLine(["A", "B"], () => false), "Sources: A, B" + tail);
  const fits = (max) => (line) => line.length > max;
  const three = ["Alpha Agency", "Beta Broadcasting", "Gamma Gazette Network"];  // 107 long
  assert.equal(Sn.creditLine(three, fits(107)), "Sources: " + three.join(", ") + tail);
  assert.equal(Sn.creditLine(three, fits(100)),
    "Sources: Alpha Agency, Beta Broadcasting and 1 more" + tail);
  assert.equal(Sn.creditLine(three, fits(80)), "Sources: Alpha Agency and 2 more" + tail);
  assert.equal(Sn.creditLine(three, fits(10)), "Sources: Alpha Agency and 2 more" + tail);
  // Short names: "and 1 more" is no shorter than the name it replaces; it goes on to one.
  assert.equal(Sn.creditLine(["Alpha", "Beta", "Gamma"], fits(70)),
    "Sources: Alpha and 2 more" + tail);
  assert.equal(Sn.creditLine(["Only"], fits(10)), "Sources: Only" + tail);
});
