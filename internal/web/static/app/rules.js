/*
 * antrag: the custom JSON Logic operations of compiled FIM rules, for
 * json-logic-js in the browser. They mirror internal/rules/ops.go exactly;
 * a Go test runs both on the same inputs.
 *
 *   filled(x)            x is not null, "", [] or {} (an object counts when any member is filled)
 *   date(y, m, d)        "YYYY-MM-DD" from numbers; a missing month or day counts as 1; null if invalid
 *   days_between(a, b)   whole days from date a to date b; null if either is missing
 *   years_between(a, b)  whole years from date a to date b, as for an age; null if either is missing
 *   valid_date(y, m, d)  y, m and d form a real calendar date
 *   distinct(list)       no filled value occurs twice in the list
 */
(function (root) {
  "use strict";

  function isFilled(v) {
    if (v === null || v === undefined) return false;
    if (typeof v === "string") return v !== "";
    if (Array.isArray(v)) return v.some(isFilled);
    if (typeof v === "object") {
      return Object.keys(v).some(function (k) { return isFilled(v[k]); });
    }
    return true;
  }

  var numberRE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function num(v) {
    if (typeof v === "number") return v;
    if (typeof v === "string" && numberRE.test(v)) return parseFloat(v);
    return NaN;
  }

  function isInt(x) { return isFinite(x) && Math.floor(x) === x; }

  // makeDate returns milliseconds since the epoch (UTC) or null.
  function makeDate(y, m, d) {
    if (!isInt(y) || !isInt(m) || !isInt(d) || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return null;
    var t = new Date(Date.UTC(2000, m - 1, d));
    t.setUTCFullYear(y);
    if (t.getUTCDate() !== d || t.getUTCMonth() !== m - 1) return null;
    return t;
  }

  function parseDay(v) {
    if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return null;
    var y = +v.slice(0, 4), m = +v.slice(5, 7), d = +v.slice(8, 10);
    return makeDate(y, m, d);
  }

  function pad(n, w) { var s = String(n); while (s.length < w) s = "0" + s; return s; }

  function format(t) {
    return pad(t.getUTCFullYear(), 4) + "-" + pad(t.getUTCMonth() + 1, 2) + "-" + pad(t.getUTCDate(), 2);
  }

  function yearsBetween(a, b) {
    if (b < a) return -yearsBetween(b, a);
    var y = b.getUTCFullYear() - a.getUTCFullYear();
    if (b.getUTCMonth() < a.getUTCMonth() || (b.getUTCMonth() === a.getUTCMonth() && b.getUTCDate() < a.getUTCDate())) y--;
    return y;
  }

  var ops = {
    filled: function (x) { return isFilled(x); },
    date: function (y, m, d) {
      y = num(y); m = num(m); d = num(d);
      if (isNaN(y)) return null;
      if (isNaN(m)) m = 1;
      if (isNaN(d)) d = 1;
      var t = makeDate(y, m, d);
      return t ? format(t) : null;
    },
    days_between: function (a, b) {
      var x = parseDay(a), y = parseDay(b);
      if (!x || !y) return null;
      return Math.round((y - x) / 86400000);
    },
    years_between: function (a, b) {
      var x = parseDay(a), y = parseDay(b);
      if (!x || !y) return null;
      return yearsBetween(x, y);
    },
    valid_date: function (y, m, d) { return makeDate(num(y), num(m), num(d)) !== null; },
    distinct: function (list) {
      if (!Array.isArray(list)) return true;
      var seen = {};
      for (var i = 0; i < list.length; i++) {
        if (!isFilled(list[i])) continue;
        var k = String(list[i]);
        if (seen[k]) return false;
        seen[k] = true;
      }
      return true;
    }
  };

  function register(jsonLogic) {
    Object.keys(ops).forEach(function (name) { jsonLogic.add_operation(name, ops[name]); });
    return jsonLogic;
  }

  var api = { ops: ops, register: register };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.antragRules = api;
    if (root.jsonLogic) register(root.jsonLogic);
  }
})(this);
