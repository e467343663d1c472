"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const {load, leaflet} = require("./_load.js");

const U = load(["util.js"]).util;
const DAY = 86400000;

test("parseDay reads ISO days as UTC midnight, and nothing else", () => {
  assert.equal(U.parseDay("2024-11-30"), Date.UTC(2024, 10, 30));
  assert.equal(U.parseDay("1970-01-01"), 0);
  for (const bad of ["2024-13-01x", "2024-1-01", " 2024-11-30", "30/11/2024", "", "2024-11-30T00"]) {
    assert.ok(Number.isNaN(U.parseDay(bad)), bad);
  }
  // Out-of-range parts roll over (Date.UTC); dayIndex is the check that refuses them.
  assert.equal(U.isoDay(U.parseDay("2024-11-31")), "2024-12-01");
});

test("isoDay and longDate at each precision", () => {
  assert.equal(U.isoDay(U.parseDay("2024-02-29")), "2024-02-29");
  assert.equal(U.isoDay(Date.UTC(2024, 11, 31) + DAY), "2025-01-01");
  assert.equal(U.longDate(U.parseDay("2024-12-05"), 0), "5 December 2024");
  assert.equal(U.longDate(U.parseDay("2016-12-01"), 1), "December 2016");
  assert.equal(U.longDate(U.parseDay("2012-01-01"), 2), "2012");
  assert.equal(U.longDate(U.parseDay("2012-01-01"), undefined), "1 January 2012");
  // Every day the same in UTC: no local time zone shift at midnight.
  assert.equal(U.longDate(U.parseDay("2024-03-31"), 0), "31 March 2024");
});

test("dayIndex finds a day on the slider, -1 off it or for no real day", () => {
  const start = U.parseDay("2024-11-26");
  assert.equal(U.dayIndex("2024-11-26", start, 10), 0);
  assert.equal(U.dayIndex("2024-12-05", start, 10), 9);
  assert.equal(U.dayIndex("2024-12-06", start, 10), -1);
  assert.equal(U.dayIndex("2024-11-25", start, 10), -1);
  assert.equal(U.dayIndex("2024-11-31", start, 10), -1);  // not read as 1 December
  assert.equal(U.dayIndex("garbage", start, 10), -1);
});

test("undelta turns differences into running sums, in place", () => {
  const a = [3, 1, 0, 2];
  assert.equal(U.undelta(a), a);
  assert.deepEqual(a, [3, 4, 4, 6]);
  assert.deepEqual(U.undelta([]), []);
  assert.deepEqual(U.undelta([-5]), [-5]);
});

test("decodeLine undoes Python's encode_line", () => {
  // mapper/render/payload.py, encode_line's doctest:
  // encode_line([(1.0, 2.0), (1.0, 2.0), (1.5, 2.25)], 2) == [200, 100, 25, 50]
  assert.deepEqual(U.decodeLine([200, 100, 25, 50], 100), [[2, 1], [2.25, 1.5]]);
  // encode_line([(36.63391, 35.93062), (36.8059, 35.8646), (36.8059, 35.8646),
  //              (37.1343, 36.2021)], 3): [lat, lon] pairs, rounded to 3 decimals.
  const got = U.decodeLine([35931, 36634, -66, 172, 337, 328], 1000);
  const want = [[35.931, 36.634], [35.865, 36.806], [36.202, 37.134]];
  assert.equal(got.length, want.length);
  got.forEach((p, i) => {
    assert.ok(Math.abs(p[0] - want[i][0]) < 1e-9 && Math.abs(p[1] - want[i][1]) < 1e-9, p);
  });
  assert.deepEqual(U.decodeLine([], 1000), []);
});

test("decodePolygons decodes every ring of every polygon", () => {
  const polys = U.decodePolygons([[[1000, 2000, 1000, 0, 0, 1000]], [[0, 0, 1, 1], [5, 5]]], 1000);
  assert.deepEqual(polys, [[[[1, 2], [2, 2], [2, 3]]], [[[0, 0], [0.001, 0.001]], [[0.005, 0.005]]]]);
});

test("thousands groups digits by three, rounding first", () => {
  assert.equal(U.thousands(1234567), "1,234,567");
  assert.equal(U.thousands(999), "999");
  assert.equal(U.thousands(1000), "1,000");
  assert.equal(U.thousands(0), "0");
  assert.equal(U.thousands(1234.6), "1,235");
  assert.equal(U.thousands(-1234567), "-1,234,567");
});

test("groupBy lists the indices of each key, skipping negative ones", () => {
  assert.deepEqual(U.groupBy([1, -1, 0, 1, 2], 4), [[2], [0, 3], [4], []]);
  assert.deepEqual(U.groupBy([], 2), [[], []]);
});

test("parseHash reads the day and embed, whatever the order or escapes", () => {
  assert.deepEqual(U.parseHash("#2024-11-30", ""), {day: "2024-11-30", embed: false});
  assert.deepEqual(U.parseHash("#2024-11-30&embed", ""), {day: "2024-11-30", embed: true});
  assert.deepEqual(U.parseHash("#embed=1&2024-11-30", ""), {day: "2024-11-30", embed: true});
  assert.deepEqual(U.parseHash("#2024%2D11%2D30", ""), {day: "2024-11-30", embed: false});
  assert.deepEqual(U.parseHash("", "?embed=1"), {day: null, embed: true});
  assert.deepEqual(U.parseHash("", "?a=2&embed=yes"), {day: null, embed: true});
  assert.deepEqual(U.parseHash("", "?embed=0"), {day: null, embed: false});
  assert.deepEqual(U.parseHash("#2024-11-30&2024-12-01", ""), {day: "2024-12-01", embed: false});
  // A mangled escape is skipped, not fatal; other parts still count.
  assert.deepEqual(U.parseHash("#%E0%A4%A&2024-11-30", ""), {day: "2024-11-30", embed: false});
  assert.deepEqual(U.parseHash("#30-11-2024&embedx", ""), {day: null, embed: false});
});

test("hashFor adds &embed unless the query already says embed", () => {
  assert.equal(U.hashFor("2024-11-30", false, ""), "#2024-11-30");
  assert.equal(U.hashFor("2024-11-30", true, ""), "#2024-11-30&embed");
  assert.equal(U.hashFor("2024-11-30", true, "?embed=1"), "#2024-11-30");
  // Round trip through parseHash.
  assert.deepEqual(U.parseHash(U.hashFor("2024-11-30", true, ""), ""),
    {day: "2024-11-30", embed: true});
});

test("link makes http(s) links only, opened apart; anything else plain text", () => {
  const made = [];
  const document = {createElement: (tag) => { const e = {tag: tag}; made.push(e); return e; }};
  const V = load(["util.js"], {document: document}).util;
  const a = V.link("https://example.org/a?b=1", "A & B");
  assert.deepEqual(a, {tag: "a", textContent: "A & B", href: "https://example.org/a?b=1",
    target: "_blank", rel: "noopener noreferrer"});
  for (const bad of ["javascript:alert(1)", "//example.org", "data:text/html,x", "", null,
    'https://x.org/"onmouseover="x']) {
    const e = V.link(bad, "t");
    assert.equal(e.tag, "span", String(bad));
    assert.equal(e.href, undefined);
  }
  assert.deepEqual(V.el("p", "c", 0), {tag: "p", className: "c", textContent: "0"});
  assert.deepEqual(V.el("p", null, null), {tag: "p"});
});

test("mergePatches joins overlapping boxes when that costs no extra area", (t) => {
  const L = leaflet();
  if (!L) { t.skip("Leaflet (xstatic-leaflet) not found: set MAPPER_LEAFLET_JS"); return; }
  const V = load(["util.js"], {L: L}).util;
  const b = (x1, y1, x2, y2) => L.bounds([x1, y1], [x2, y2]);
  const out = (list) => list.map((p) => [p.min.x, p.min.y, p.max.x, p.max.y]).sort();
  // The same fixture as tests/test_browser.py's test_js_helpers_agree_with_python.
  const list = [b(0, 0, 10, 10), b(2, 0, 12, 10), b(100, 100, 110, 110), b(0, 0, 10, 10),
    b(9, 9, 30, 30)];
  const merged = V.mergePatches(list);
  assert.equal(merged, list);  // in place
  assert.deepEqual(out(merged), [[0, 0, 12, 10], [100, 100, 110, 110], [9, 9, 30, 30]]);
  // Two far apart boxes, and boxes that only touch at a corner, stay apart.
  assert.deepEqual(out(V.mergePatches([b(0, 0, 1, 1), b(5, 5, 6, 6)])), [[0, 0, 1, 1], [5, 5, 6, 6]]);
  assert.deepEqual(out(V.mergePatches([b(0, 0, 10, 10), b(10, 10, 20, 20)])),
    [[0, 0, 10, 10], [10, 10, 20, 20]]);
  // A chain that joins step by step ends as one box.
  assert.deepEqual(out(V.mergePatches([b(0, 0, 10, 10), b(5, 0, 15, 10), b(12, 0, 20, 10)])),
    [[0, 0, 20, 10]]);
  assert.deepEqual(V.mergePatches([]), []);
});

// A reference packer for payload.pack_ints, written here from the format's description
// (zigzag, five bits a character, lowest first, 32 set while more follow), up to 2^52.
const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const pack = (vals) => vals.map((v) => {
  let z = v >= 0 ? 2 * v : -2 * v - 1, s = "";
  while (z >= 32) { s += ALPHA[32 + (z % 32)]; z = Math.floor(z / 32); }
  return s + ALPHA[z];
}).join("");

test("unpackInts undoes payload.pack_ints: zigzag, five bits a character, lowest first", () => {
  // pack_ints([0, -1, 1, 15, 16, -300]) in Python (its docstring example)
  assert.deepEqual(U.unpackInts("ABCegB3S"), [0, -1, 1, 15, 16, -300]);
  assert.deepEqual(U.unpackInts(""), []);
  const arr = [1, 2, 3];
  assert.equal(U.unpackInts(arr), arr);  // an array already: as it is
  const vals = [0, 5, -5, 31, 32, -33, 1023, 49999, -2, 2 ** 40, -(2 ** 51), 2 ** 52 - 1];
  assert.deepEqual(U.unpackInts(pack(vals)), vals);
  assert.throws(() => U.unpackInts("A<"), /bad character/);
  assert.throws(() => U.unpackInts("g"), /cut short/);
});

test("decodeArcs undoes payload._atoms: one packed column, first points chained", () => {
  // arcs [(2, 1), (2.25, 1.5)] and [(2.5, 1), (2.5, 0.75), (3, 0.75)] at scale 100: the
  // second arc starts 50, 0 from the first arc's first point, not from 0, 0
  const got = U.decodeArcs(pack([200, 100, 25, 50, 50, 0, 0, -25, 50, 0]), pack([2, 3]), 100);
  assert.deepEqual(got, [[[2, 1], [2.25, 1.5]], [[2.5, 1], [2.5, 0.75], [3, 0.75]]]);
  assert.deepEqual(U.decodeArcs("", "", 1000), []);
  assert.throws(() => U.decodeArcs(pack([1, 2, 3, 4]), pack([1]), 10), /do not add up/);
});

test("unpackRings undoes payload.pack_rings: arcs as differences, the reversed bit last", () => {
  // pack_rings([[[[0, 1]]], [[[2, -1], [3]]]]) in Python (its docstring example)
  const packed = {atom: "CC", poly: "CE", ring: "EEC", refs: "AEEFM"};
  assert.deepEqual(U.unpackRings(packed), [[[[0, 1]]], [[[2, -1], [3]]]]);
  // a reversed reference to a lower arc: 2 * (0 - 5) + 1 = -9
  assert.deepEqual(U.unpackRings({atom: pack([1]), poly: pack([1]), ring: pack([2]),
    refs: pack([10, -9])}), [[[[5, -1]]]]);
  assert.deepEqual(U.unpackRings({atom: "", poly: "", ring: "", refs: ""}), []);
  assert.throws(() => U.unpackRings({atom: pack([1]), poly: pack([1]), ring: pack([1]),
    refs: pack([0, 2])}), /do not add up/);
});

test("spritePixels keeps the visible pixels; stampSprites lays them over, front one first", () => {
  // A 2x2 image: one opaque red pixel, one half-seen blue one, two empty.
  const sp = U.spritePixels([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 128], 2);
  assert.deepEqual(Array.from(sp.dx), [0, 1]);
  assert.deepEqual(Array.from(sp.dy), [0, 1]);
  assert.deepEqual(Array.from(sp.rgba), [255, 0, 0, 255, 0, 0, 128, 128]);  // premultiplied
  assert.deepEqual(Array.from(new Uint8Array(sp.straight32.buffer)),
    [255, 0, 0, 255, 0, 0, 255, 128]);
  const w = 3, h = 2, out = new Uint8ClampedArray(4 * w * h);
  // The second stamp's blue pixel falls on the first's red one (which is behind it: the
  // list is in drawing order); the third is off the picture.
  const rows = U.stampSprites(out, w, h, [0, 0, sp, -1, -1, sp, 5, 5, sp]);
  assert.deepEqual(rows, [0, 2]);
  const at = (x, y) => Array.from(out.slice(4 * (y * w + x), 4 * (y * w + x) + 4));
  // Half blue over red: premultiplied (127, 0, 128, 255), as a canvas mixes them.
  assert.deepEqual(at(0, 0), [127, 0, 128, 255]);
  assert.deepEqual(at(1, 1), [0, 0, 255, 128]);  // the blue pixel alone, as it is
  assert.deepEqual(at(2, 0), [0, 0, 0, 0]);
  // Two half-seen pixels: 50% blue in front of 50% blue is 75% blue.
  const back = new Uint8ClampedArray(4 * 4);
  U.stampSprites(back, 2, 2, [0, 0, sp, 0, 0, sp]);
  assert.deepEqual(Array.from(back.slice(12, 16)), [0, 0, 255, 192]);
  // Only the images' pixels are written: what is outside them is left as it was.
  const keep = new Uint8ClampedArray(4 * w * h).fill(7);
  keep.fill(0, 0, 4);
  U.stampSprites(keep, w, h, [0, 0, sp]);
  assert.deepEqual(Array.from(keep.slice(0, 4)), [255, 0, 0, 255]);
  assert.deepEqual(Array.from(keep.slice(4, 8)), [7, 7, 7, 7]);
  // With a count, the entries past it (left from a longer paint) are not read.
  const kept = new Uint8ClampedArray(4 * w * h), whole = new Uint8ClampedArray(4 * w * h);
  U.stampSprites(kept, w, h, [0, 0, sp, 1, 0, sp], null, 3);
  U.stampSprites(whole, w, h, [0, 0, sp]);
  assert.deepEqual(Array.from(kept), Array.from(whole));
});

test("settle calls once the pokes have stopped for the wait, with one timer at a time", () => {
  let now = 0, next = 1;
  const timers = new Map(), calls = [];
  const env = {
    now: () => now,
    setTimeout: (f, ms) => { timers.set(next, {f, at: now + ms}); return next++; },
    clearTimeout: (t) => { timers.delete(t); },
  };
  // Move the clock to ``t``, ringing the timers due on the way, in order.
  const advance = (t) => {
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= t).sort((a, b) => a[1].at - b[1].at);
      if (!due.length) break;
      const [id, x] = due[0];
      timers.delete(id);
      now = x.at;
      x.f();
    }
    now = t;
  };
  let wait = 100;
  const s = U.settle(() => calls.push(now), () => wait, env);
  s.poke();
  advance(40); s.poke();
  advance(90); s.poke();
  assert.equal(timers.size, 1);  // pokes while a timer is set arm no other
  advance(150);
  assert.deepEqual(calls, []);  // rang at 100, 10 ms after the last poke: waits the rest
  advance(189);
  assert.deepEqual(calls, []);
  advance(190);
  assert.deepEqual(calls, [190]);
  assert.equal(s.pending(), false);
  // cancel drops the call; the wait is read when the timer rings
  s.poke(); s.cancel();
  advance(400);
  assert.deepEqual(calls, [190]);
  s.poke(); wait = 300;
  advance(500);
  assert.deepEqual(calls, [190]);
  advance(700);
  assert.deepEqual(calls, [190, 700]);
});

test("setText writes into a lone text node, else replaces the content", () => {
  const node = {nodeType: 3, data: "1 December 2024", nextSibling: null};
  const box = {firstChild: node, textContent: "1 December 2024"};
  U.setText(box, "2 December 2024");
  assert.equal(box.firstChild, node);  // the same node, new characters
  assert.equal(node.data, "2 December 2024");
  const empty = {firstChild: null, textContent: ""};
  U.setText(empty, "<b>3 December</b>");
  assert.equal(empty.textContent, "<b>3 December</b>");  // text, not markup
  const mixed = {firstChild: {nodeType: 1, nextSibling: null}, textContent: "x"};
  U.setText(mixed, "y");
  assert.equal(mixed.textContent, "y");
  const two = {nodeType: 3, data: "a", nextSibling: {nodeType: 3, data: "b"}};
  const split = {firstChild: two, textContent: "ab"};
  U.setText(split, "c");  // two text nodes: the content is replaced, not the first one's
  assert.equal(split.textContent, "c");
  assert.equal(two.data, "a");
});
