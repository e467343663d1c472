"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load} = require("./_load.js");

const M = load(["util.js", "controls.js"]);
const K = M.controls, U = M.util;

test("ticks: one per change day, two pixels wide, or a density strip", () => {
  const counts = {0: 1, 5: 3, 9: 1};
  const on = (d) => counts[d] || 0;
  // A 102-pixel slider of 11 days: day d at pixel 10 d + 1.
  assert.deepEqual(K.tickMarks([0, 5, 9], on, 11, 102), [
    {x: 0, width: 2, alpha: 1}, {x: 50, width: 2, alpha: 1}, {x: 90, width: 2, alpha: 1}]);
  // More change days than a third of the pixels: one-pixel lines, darker with more changes
  // (8 pixels: day d at round(0.6 d) + 1).
  const marks = K.tickMarks([0, 5, 9], on, 11, 8);
  assert.deepEqual(marks.map((m) => [m.x, m.width]), [[0.5, 1], [3.5, 1], [5.5, 1]]);
  assert.deepEqual(marks.map((m) => m.alpha.toFixed(4)), ["0.4333", "1.0000", "0.4333"]);
  // Days that share a pixel column add up.
  const shared = K.tickMarks([1, 2], () => 2, 1001, 3);
  assert.deepEqual(shared, [{x: 0.5, width: 1, alpha: 1}]);
  assert.deepEqual(K.tickMarks([], on, 11, 100), []);
});

test("the line under the date: weekday, day of the slider, changes", () => {
  const ms = U.parseDay("2024-11-26");  // a Tuesday
  assert.equal(K.dayLine(ms, 0, 10, 0), "Tuesday · day 1 of 10");
  assert.equal(K.dayLine(ms, 2, 10, 1), "Tuesday · day 3 of 10 · 1 change");
  assert.equal(K.dayLine(ms + 86400000, 3, 10, 5), "Wednesday · day 4 of 10 · 5 changes");
});

test("the date box is sized for the 28th of each month shown, 25 at most", () => {
  assert.deepEqual(K.dateWidthTexts(U.parseDay("2024-11-26"), 10),
    ["28 November 2024", "28 December 2024"]);
  assert.deepEqual(K.dateWidthTexts(U.parseDay("2024-02-29"), 1), ["28 February 2024"]);
  const long = K.dateWidthTexts(U.parseDay("2000-01-01"), 4700);
  assert.equal(long.length, 25);
  assert.equal(long[24], "28 January 2002");
});

test("play: steps past the end loop or stop", () => {
  assert.equal(K.playTarget(3, 2, 10, false), 5);
  assert.equal(K.playTarget(8, 1, 10, false), 9);
  assert.equal(K.playTarget(9, 1, 10, false), -1);
  assert.equal(K.playTarget(9, 1, 10, true), 0);
  assert.equal(K.playTarget(8, 5, 10, true), 3);
});

test("keys: arrows step a day (a change with Shift), pages, home, end, space", () => {
  const keys = [["ArrowRight", false], ["ArrowRight", true], ["ArrowLeft", false],
    ["ArrowLeft", true], ["PageDown", false], ["PageUp", true], ["Home", false],
    ["End", false], [" ", false], ["Spacebar", false], ["a", false], ["Enter", false]];
  assert.deepEqual(keys.map((k) => K.keyAction(k[0], k[1])), ["next-day", "next-change",
    "prev-day", "prev-change", "next-change", "prev-change", "first", "last", "play", "play",
    null, null]);
});

test("wrappedLines wraps at spaces as a browser would, a long word on a line of its own", () => {
  const width = (s) => s.length * 10;  // a monospaced font, 10 pixels a character
  const text = "Saturday · day 7 of 19 · 37 changes";  // 35 characters
  assert.equal(K.wrappedLines(text, 350, width), 1);
  assert.equal(K.wrappedLines(text, 349, width), 2);
  // 190 pixels: "Saturday · day 7 of" (19 characters), "19 · 37 changes"
  assert.equal(K.wrappedLines(text, 190, width), 2);
  // 150: "Saturday · day", "7 of 19 · 37", "changes"
  assert.equal(K.wrappedLines(text, 150, width), 3);
  assert.equal(K.wrappedLines("Wednesday", 50, width), 1);  // wider than the room: one line
  assert.equal(K.wrappedLines("", 50, width), 1);
});
