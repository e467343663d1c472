// Load the page's browser modules (mapper/render/static/js) into this process, without a
// browser: each file runs as a function of ``window`` (and of ``L`` and ``document`` when a
// test gives them), so its objects are plain objects of this realm (deepStrictEqual works).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..", "..");
const STATIC = path.join(ROOT, "mapper", "render", "static", "js");

// Run ``names`` (files of STATIC, in order) and return their namespace, window.__mapper.
function load(names, globals) {
  const g = Object.assign({window: {}, L: undefined, document: undefined}, globals || {});
  for (const name of names) {
    const code = fs.readFileSync(path.join(STATIC, name), "utf8");
    new Function("window", "L", "document", code + "\n//# sourceURL=" + name)(
      g.window, g.L, g.document);
  }
  return g.window.__mapper;
}

// The page's order of the modules: SCRIPTS in mapper/render/element.py.
function scriptOrder() {
  const py = fs.readFileSync(path.join(ROOT, "mapper", "render", "element.py"), "utf8");
  const m = /^SCRIPTS = \(([^)]*)\)/m.exec(py);
  if (!m) throw new Error("SCRIPTS not found in mapper/render/element.py");
  return m[1].split(",").map((s) => s.trim().replace(/^"|"$/g, "")).filter(Boolean);
}

// Leaflet itself (from the xstatic-leaflet package; tests/test_js_units.py passes its path
// as MAPPER_LEAFLET_JS), loaded with just enough of a DOM to start; null if not found.
function leaflet() {
  let file = process.env.MAPPER_LEAFLET_JS;
  if (!file) {
    const lib = path.join(ROOT, ".venv", "lib");
    const py = fs.existsSync(lib) ? fs.readdirSync(lib).find((d) => d.startsWith("python")) : null;
    file = py && path.join(lib, py, "site-packages", "xstatic", "pkg", "leaflet", "data",
      "leaflet.js");
  }
  if (!file || !fs.existsSync(file)) return null;
  const node = () => ({style: {}, getContext: () => null, setAttribute() {}, appendChild() {}});
  const document = {documentElement: {style: {}}, createElement: node,
    createElementNS: () => ({}), addEventListener() {}};
  const window = {navigator: {userAgent: "node", platform: "node"}, devicePixelRatio: 1,
    document: document, addEventListener() {}, removeEventListener() {}};
  const exports = {};
  new Function("exports", "module", "window", "document", "navigator",
    fs.readFileSync(file, "utf8"))(exports, {exports: exports}, window, document, window.navigator);
  return exports;
}

// A small seeded random number generator (a linear congruential one), for repeatable tests.
function random(seed) {
  let s = seed >>> 0;
  return function (n) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor(s / 4294967296 * n);
  };
}

module.exports = {STATIC, load, scriptOrder, leaflet, random};
