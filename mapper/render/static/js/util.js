/*
 * mapper browser code, module util: dates, numbers, the payload's encodings, the permalink
 * hash, and two DOM helpers that put text in the page only as textContent.
 *
 * The page's script is the files of this folder joined in the order of
 * mapper/render/element.py (SCRIPTS); each registers itself on one namespace object,
 * window.__mapper, and main.js starts the page. Nothing here touches the DOM until called.
 */
(function (M) {
  "use strict";

  var DAY_MS = 86400000;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
  var SAFE_URL = /^https?:\/\/[^\s<>"']+$/i;

  function parseDay(text) {
    var m = ISO_DAY.exec(text);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  }
  function isoDay(ms) { return new Date(ms).toISOString().slice(0, 10); }
  // Precision 0: "5 December 2024", 1: "December 2024", 2: "2024".
  function longDate(ms, precision) {
    var d = new Date(ms);
    if (precision === 2) return String(d.getUTCFullYear());
    if (precision === 1) return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  // Index of an ISO day on a slider of n days from ``start`` (ms), or -1.
  function dayIndex(text, start, n) {
    var ms = parseDay(text);
    if (isNaN(ms) || isoDay(ms) !== text) return -1;  // 2024-11-31 is no day, not 1 Dec
    var d = Math.round((ms - start) / DAY_MS);
    return d >= 0 && d < n ? d : -1;
  }
  // Running sums, in place: [3, 1, 0, 2] -> [3, 4, 4, 6].
  function undelta(a) {
    for (var i = 1; i < a.length; i++) a[i] += a[i - 1];
    return a;
  }
  // Python's pack_ints (mapper/render/payload.py) undone: a string of base64url characters,
  // five bits of a zigzag-encoded number each, lowest first, 32 set while more follow.
  // Anything but a string (an array already) is returned as it is.
  var PACK = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var PACK_VALUE = new Int8Array(128).fill(-1);
  for (var pi = 0; pi < PACK.length; pi++) PACK_VALUE[PACK.charCodeAt(pi)] = pi;
  function unpackInts(text) {
    if (typeof text !== "string") return text;
    var out = [], z = 0, scale = 1;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i), v = c < 128 ? PACK_VALUE[c] : -1;
      if (v < 0) throw new Error("packed column: bad character at " + i);
      z += (v & 31) * scale;
      if (v & 32) { scale *= 32; continue; }
      out.push(z % 2 ? -(z + 1) / 2 : z / 2);
      z = 0; scale = 1;
    }
    if (scale !== 1) throw new Error("packed column: cut short");
    return out;
  }
  // Python's encode_line (mapper/render/payload.py) undone: [[lat, lon], ...].
  function decodeLine(ints, scale) {
    var out = new Array(ints.length / 2), lat = 0, lon = 0;
    for (var i = 0, k = 0; i < ints.length; i += 2, k++) {
      lat += ints[i]; lon += ints[i + 1];
      out[k] = [lat / scale, lon / scale];
    }
    return out;
  }
  // Python's _atoms arcs (mapper/render/payload.py) undone: one packed column of every arc
  // encoded as a line, each arc's first point as a difference from the first point of the
  // arc before it, and the number of points of each arc (packed). Gives [[[lat, lon], ...]].
  function decodeArcs(text, sizes, scale) {
    var v = unpackInts(text), n = unpackInts(sizes), out = new Array(n.length);
    var i = 0, flat = 0, flon = 0;
    for (var a = 0; a < n.length; a++) {
      var pts = new Array(n[a]), lat = flat + v[i], lon = flon + v[i + 1];
      flat = lat; flon = lon;
      pts[0] = [lat / scale, lon / scale];
      for (var k = 1; k < n[a]; k++) {
        lat += v[i + 2 * k]; lon += v[i + 2 * k + 1];
        pts[k] = [lat / scale, lon / scale];
      }
      out[a] = pts; i += 2 * n[a];
    }
    if (i !== v.length) throw new Error("packed arcs: sizes do not add up");
    return out;
  }
  // Python's pack_rings (mapper/render/payload.py) undone: per atom, its polygons, each a
  // list of rings, each a list of arc references (i as stored, -1 - i reversed).
  function unpackRings(packed) {
    var atom = unpackInts(packed.atom), poly = unpackInts(packed.poly);
    var ring = unpackInts(packed.ring), refs = unpackInts(packed.refs);
    var out = new Array(atom.length), p = 0, r = 0, f = 0, arc = 0;
    for (var k = 0; k < atom.length; k++) {
      var polys = out[k] = new Array(atom[k]);
      for (var q = 0; q < atom[k]; q++, p++) {
        var rings = polys[q] = new Array(poly[p]);
        for (var j = 0; j < poly[p]; j++, r++) {
          var list = rings[j] = new Array(ring[r]);
          for (var i = 0; i < ring[r]; i++, f++) {
            var v = refs[f], reversed = v & 1;  // two's complement: odd negatives too
            arc += (v - reversed) / 2;
            list[i] = reversed ? -1 - arc : arc;
          }
        }
      }
    }
    if (p !== poly.length || r !== ring.length || f !== refs.length) {
      throw new Error("packed rings: sizes do not add up");
    }
    return out;
  }
  // A list of polygons, each a list of encoded rings.
  function decodePolygons(list, scale) {
    return list.map(function (poly) {
      return poly.map(function (ring) { return decodeLine(ring, scale); });
    });
  }
  // 1234567 -> "1,234,567" (the same in every browser locale).
  function thousands(n) { return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  // out[g]: the indices j with keys[j] === g (negative keys: in no group).
  function groupBy(keys, count) {
    var out = new Array(count);
    for (var i = 0; i < count; i++) out[i] = [];
    for (var j = 0; j < keys.length; j++) if (keys[j] >= 0) out[keys[j]].push(j);
    return out;
  }

  function area(b) { return (b.max.x - b.min.x) * (b.max.y - b.min.y); }
  // Join two rectangles (Leaflet bounds) wherever their bounding box is no larger than the two
  // apart, so that paths in the overlap are not drawn twice.
  function mergePatches(list) {
    var changed = true;
    while (changed) {
      changed = false;
      for (var i = 0; i < list.length; i++) {
        for (var j = i + 1; j < list.length; j++) {
          var a = list[i], b = list[j];
          if (!a.intersects(b)) continue;
          var u = L.bounds(a.min, a.max).extend(b.min).extend(b.max);
          if (area(u) <= area(a) + area(b)) {
            list[i] = u;
            list.splice(j, 1);
            j--;
            changed = true;
          }
        }
      }
    }
    return list;
  }

  // The permalink: "#2024-11-30&embed" (or ?embed=1 in the query) -> {day, embed}; the last
  // ISO day wins, parts that are not well-formed escapes are skipped.
  function parseHash(hash, search) {
    var parts = hash.replace(/^#/, "").split("&"), day = null, embed = false;
    parts.forEach(function (part) {
      var text;
      try { text = decodeURIComponent(part); } catch (err) { return; }  // a mangled link
      if (text === "embed" || text === "embed=1") embed = true;
      else if (ISO_DAY.test(text)) day = text;
    });
    if (/[?&]embed=(1|true|yes)\b/.test(search)) embed = true;
    return {day: day, embed: embed};
  }
  // The hash written for a day; "&embed" only when the query does not say it already.
  function hashFor(iso, embed, search) {
    return "#" + iso + (embed && !/[?&]embed=/.test(search) ? "&embed" : "");
  }

  // The visible pixels of a marker's image (``rgba``: a square of ``size`` pixels, its
  // bytes as canvas getImageData gives them, not premultiplied): their offsets from the
  // image's top-left corner (``dx``, ``dy``), their bytes premultiplied by their alpha
  // (``rgba``), as the canvas holds them, and as given, one 32-bit word a pixel
  // (``straight32``, what stampSprites writes where nothing lies).
  function spritePixels(rgba, size) {
    var dx = [], dy = [], pre = [], straight = [];
    for (var i = 0; i < size * size; i++) {
      var a = rgba[4 * i + 3];
      if (!a) continue;
      dx.push(i % size);
      dy.push(Math.floor(i / size));
      pre.push(Math.round(rgba[4 * i] * a / 255), Math.round(rgba[4 * i + 1] * a / 255),
        Math.round(rgba[4 * i + 2] * a / 255), a);
      straight.push(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], a);
    }
    var str = new Uint8Array(straight);
    return {dx: new Int32Array(dx), dy: new Int32Array(dy), rgba: new Uint8Array(pre),
      straight32: new Uint32Array(str.buffer), size: size};
  }
  // Draws marker images one over the other ("source-over") into ``out``, the bytes of a
  // ``width`` x ``height`` ImageData (all zero at first), clipped to it. ``stamps``: a flat
  // list of x, y (the image's top-left corner, in whole pixels) and the spritePixels of the
  // image, for each marker in drawing order. The images are laid from the front one back,
  // each under those before it: a pixel already opaque is left alone (where 50,000 places
  // crowd, a pixel lies under a dozen markers and the first three hide the rest), an empty
  // one takes the image's pixel as it is (most pixels: one 32-bit write), and only where a
  // see-through edge lies over another image are the two mixed. The work grows with the
  // markers' pixels, and one buffer is read and written (a second, premultiplied one made
  // the stamping three times slower: the canvas is far larger than the processor's cache).
  // ``clip`` [x0, y0, x1, y1], if given: only the pixels inside it are written. ``count``,
  // if given: only the first ``count`` entries of ``stamps`` are read (a list kept and
  // written over from one paint to the next). Returns the rows touched, [first, last + 1].
  function stampSprites(out, width, height, stamps, clip, count) {
    var cx0 = clip ? clip[0] : 0, cy0 = clip ? clip[1] : 0;
    var cx1 = clip ? clip[2] : width, cy1 = clip ? clip[3] : height;
    var top = cy1, bottom = cy0;
    var out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
    var end = count === undefined ? stamps.length : count;
    for (var s = end - 3; s >= 0; s -= 3) {
      var x = stamps[s], y = stamps[s + 1], sp = stamps[s + 2];
      var dx = sp.dx, dy = sp.dy, c = sp.rgba, str32 = sp.straight32, n = dx.length;
      if (!n) continue;
      top = Math.min(top, Math.max(cy0, y + dy[0]));
      bottom = Math.max(bottom, Math.min(cy1, y + dy[n - 1] + 1));
      // An image wholly inside: its pixels' offsets, kept with it for this width.
      var inside = x >= cx0 && y >= cy0 && x + sp.size <= cx1 && y + sp.size <= cy1;
      if (inside && sp.offWidth !== width) {
        sp.off = new Int32Array(n);
        for (var i = 0; i < n; i++) sp.off[i] = dy[i] * width + dx[i];
        sp.offWidth = width;
      }
      var off = sp.off, base = y * width + x;
      for (var k = 0; k < n; k++) {
        var p;
        if (inside) {
          p = base + off[k];
        } else {
          var px = x + dx[k], py = y + dy[k];
          if (px < cx0 || py < cy0 || px >= cx1 || py >= cy1) continue;
          p = py * width + px;
        }
        var j = 4 * p, front = out[j + 3];
        if (front === 255) continue;
        if (!front) { out32[p] = str32[k]; continue; }
        // Premultiplied: what is in front, plus this image's pixel showing under it.
        var under = 255 - front, k4 = 4 * k;
        var a = front + div255(c[k4 + 3] * under), f = 255 / a;
        out[j] = (div255(out[j] * front) + div255(c[k4] * under)) * f;
        out[j + 1] = (div255(out[j + 1] * front) + div255(c[k4 + 1] * under)) * f;
        out[j + 2] = (div255(out[j + 2] * front) + div255(c[k4 + 2] * under)) * f;
        out[j + 3] = a;
      }
    }
    return top < bottom ? [top, bottom] : [0, 0];
  }
  // v / 255 rounded, for v in 0..255 * 255.
  function div255(v) {
    v += 128;
    return (v + (v >> 8)) >> 8;
  }

  // fn, once poke() has not been called for wait() ms: one timer however often poke() is
  // called (a slider step that moved a timer cost a clearTimeout and a setTimeout, on a
  // phone a little of every step); when it rings early it waits the rest. cancel() drops
  // the call. ``env`` {now, setTimeout, clearTimeout}: the clock and timers (tests).
  function settle(fn, wait, env) {
    var E = env || {now: function () { return performance.now(); },
      setTimeout: function (f, ms) { return setTimeout(f, ms); },
      clearTimeout: function (t) { clearTimeout(t); }};
    var last = 0, timer = null;
    function ring() {
      var left = last + wait() - E.now();
      if (left > 0) { timer = E.setTimeout(ring, left); return; }
      timer = null;
      fn();
    }
    return {
      poke: function () {
        last = E.now();
        if (timer === null) timer = E.setTimeout(ring, wait());
      },
      cancel: function () {
        if (timer !== null) { E.clearTimeout(timer); timer = null; }
      },
      pending: function () { return timer !== null; }
    };
  }

  // ``text`` in ``e`` as text: a lone text node takes the new characters (no node removed
  // and inserted, so no new layout box); otherwise the content is replaced.
  function setText(e, text) {
    var t = e.firstChild;
    if (t && t.nodeType === 3 && !t.nextSibling) {
      if (t.data !== text) t.data = text;
    } else if (e.textContent !== text) {
      e.textContent = text;
    }
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // A link that opens in a new tab, for http(s) addresses only; anything else is plain text.
  function link(url, text) {
    if (url && SAFE_URL.test(url)) {
      var a = el("a", null, text);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    return el("span", null, text);
  }

  M.util = {
    DAY_MS: DAY_MS, MONTHS: MONTHS, WEEKDAYS: WEEKDAYS, ISO_DAY: ISO_DAY, SAFE_URL: SAFE_URL,
    parseDay: parseDay, isoDay: isoDay, longDate: longDate, dayIndex: dayIndex,
    undelta: undelta, unpackInts: unpackInts, decodeLine: decodeLine, decodeArcs: decodeArcs,
    unpackRings: unpackRings, decodePolygons: decodePolygons,
    thousands: thousands, groupBy: groupBy, mergePatches: mergePatches,
    parseHash: parseHash, hashFor: hashFor, settle: settle, el: el, link: link, setText: setText,
    spritePixels: spritePixels, stampSprites: stampSprites
  };
})(window.__mapper || (window.__mapper = {}));
