"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const {STATIC, load, scriptOrder, leaflet} = require("./_load.js");

test("SCRIPTS names every module of the folder, each once", () => {
  const order = scriptOrder();
  assert.deepEqual([...order].sort(), fs.readdirSync(STATIC).filter((f) => f.endsWith(".js")).sort());
  assert.equal(new Set(order).size, order.length);
  assert.equal(order[0], "util.js");
  assert.equal(order[order.length - 1], "main.js");
});

test("each module uses only the modules before it when it loads", (t) => {
  const L = leaflet();
  if (!L) { t.skip("Leaflet (xstatic-leaflet) not found: set MAPPER_LEAFLET_JS"); return; }
  const order = scriptOrder();
  const names = {"util.js": "util", "state.js": "state", "styles.js": "styles",
    "canvas.js": "PatchCanvas", "ground.js": "ground", "labels.js": "labels",
    "incidents.js": "incidents", "layers.js": "layers",
    "popups.js": "popups", "chart.js": "chart", "controls.js": "controls", "compare.js": "compare",
    "snapshot.js": "snapshot", "a11y.js": "a11y"};
  const window = {};
  for (let i = 0; i < order.length; i++) {
    const M = load(order.slice(0, i + 1), {L: L, window: {}});
    if (order[i] !== "main.js") assert.ok(M[names[order[i]]], order[i] + " registers itself");
  }
  const M = load(order, {L: L, window: window});
  assert.equal(window.__mapper, M);
  assert.equal(typeof window.mapperTimeSlider, "function");
  assert.deepEqual(Object.keys(window.mapperTimeSlider.helpers).sort(),
    ["decodeLine", "isoDay", "longDate", "mergePatches", "parseDay", "thousands"]);
  assert.equal(window.mapperTimeSlider.helpers.parseDay, M.util.parseDay);
  assert.ok(new M.PatchCanvas({}) instanceof L.Canvas);
});

test("the page's joined script (mapper.render.element.browser_script) loads the same", (t) => {
  const file = process.env.MAPPER_PAGE_JS;
  const L = leaflet();
  if (!file || !L) { t.skip("run through tests/test_js_units.py"); return; }
  const window = {};
  new Function("window", "L", "document", fs.readFileSync(file, "utf8"))(window, L, undefined);
  assert.equal(typeof window.mapperTimeSlider, "function");
  assert.deepEqual(Object.keys(window.__mapper).sort(), ["PatchCanvas", "QuietSVG", "a11y",
    "chart", "compare", "controls", "ground", "incidents", "labels", "layers", "popups", "snapshot",
    "state", "styles", "util"]);
  assert.equal(window.mapperTimeSlider.helpers.longDate(Date.UTC(2024, 11, 5), 0),
    "5 December 2024");
});
