/*
 * mapper browser code, module styles: the colours and Leaflet path styles of places, areas,
 * routes and fronts, by controller. No DOM.
 *
 * A controller is a faction index (0..nf-1), nf for "contested", or negative (unknown).
 * Sea and border colours as in mapper/snapshot.py (SEA_COLOUR, BORDER_COLOUR).
 */
(function (M) {
  "use strict";

  var UNKNOWN_COLOUR = "#9e9e9e";
  var FRONT_COLOUR = "#1a1a1a";
  // Radius of a place marker by kind, in pixels; kinds not listed use DEFAULT_RADIUS.
  var RADIUS = {capital: 9, city: 7, town: 5, airbase: 5, base: 4.5, crossing: 4.5,
    district: 4, village: 3.5, site: 3.5};
  var DEFAULT_RADIUS = 4;
  // The offline base map: land on a sea-coloured background, lakes in the sea colour,
  // first-level regions as thin dashed lines, country borders in grey.
  var BASE = {sea: "#cfdfe8", land: "#f4f2ec", coast: "#9fb7c8", border: "#8c8c8c",
    region: "#b9b5ad"};

  // The styles of one dataset's factions.
  function create(factions) {
    var nf = factions.length, CONTESTED = nf;
    function controllerLabel(c) {
      if (c === CONTESTED) return "Contested";
      if (c >= 0 && c < nf) return factions[c].label;
      return "Unknown";
    }
    // The id the page's API and the SVG's data-controller give a controller.
    function controllerId(c, none) {
      return c === CONTESTED ? "contested" : c >= 0 ? factions[c].id : none;
    }
    function colourOf(c) { return c >= 0 && c < nf ? factions[c].colour : UNKNOWN_COLOUR; }
    function markerStyle(c) {
      if (c === CONTESTED) {
        return {fillColor: "#ffffff", fillOpacity: 1, color: "#111111", weight: 2.5,
          dashArray: "3 2"};
      }
      if (c < 0) {
        return {fillColor: UNKNOWN_COLOUR, fillOpacity: 0.85, color: "#5f5f5f", weight: 1,
          dashArray: null};
      }
      return {fillColor: factions[c].colour, fillOpacity: 0.95, color: "#1f1f1f", weight: 1.2,
        dashArray: null};
    }
    // How the ground a controller holds is filled: a colour, its opacity (in a pane that is
    // itself see-through, CSS), and the faction's pattern (hatch, cross, dots; contested:
    // stripes), drawn over the colour.
    function areaFill(c) {
      if (c === CONTESTED) return {colour: "#bdbdbd", alpha: 1, pattern: "stripes"};
      if (c < 0 || c >= nf) return {colour: UNKNOWN_COLOUR, alpha: 0.3, pattern: null};
      var kind = factions[c].pattern;
      return {colour: factions[c].colour, alpha: 1,
        pattern: kind === "hatch" || kind === "cross" || kind === "dots" ? kind : null};
    }
    function lineColour(c) {
      if (c === CONTESTED) return "#555555";
      return colourOf(c);
    }
    function dashOf(c) { return c >= 0 && c < nf && factions[c].dash ? factions[c].dash : null; }
    return {factions: factions, nf: nf, CONTESTED: CONTESTED,
      controllerLabel: controllerLabel, controllerId: controllerId, colourOf: colourOf,
      markerStyle: markerStyle, areaFill: areaFill, lineColour: lineColour, dashOf: dashOf};
  }

  // A front line between two places shows where both are held, by different sides.
  function frontShown(a, b) { return a >= 0 && b >= 0 && a !== b; }
  // A route segment between places held by a and b (-1: no place or unknown): the controllers
  // its two halves are coloured by, and whether the cut mark between them shows.
  function segmentEnds(a, b) {
    var cutHere = a >= 0 && b >= 0 && a !== b;
    var ca = cutHere || a === b ? a : (a >= 0 ? a : b);
    var cb = cutHere || a === b ? b : ca;
    return [ca, cb, cutHere];
  }

  M.styles = {UNKNOWN_COLOUR: UNKNOWN_COLOUR, FRONT_COLOUR: FRONT_COLOUR, RADIUS: RADIUS,
    DEFAULT_RADIUS: DEFAULT_RADIUS, BASE: BASE, create: create, frontShown: frontShown,
    segmentEnds: segmentEnds};
})(window.__mapper || (window.__mapper = {}));
