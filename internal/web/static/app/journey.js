/*
 * antrag: shows and hides the conditional parts of a step while the citizen
 * answers, and drops the "Optional" mark of what a rule makes required, using the step's compiled rules (JSON in #antrag-regeln) and the
 * same JSON Logic conditions the server evaluates. It only improves the
 * page: without JavaScript the "Aktualisieren" button and "Weiter" give the
 * same result, and the server decides in any case.
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("antrag-regeln");
  if (!cfgEl || !window.jsonLogic || !window.antragRules || !window.CSS || !CSS.escape) return;
  var cfg;
  try { cfg = JSON.parse(cfgEl.textContent); } catch (e) { return; }
  if (!cfg || !Array.isArray(cfg.rules)) return;
  cfg.context = cfg.context || {};
  cfg.values = cfg.values || {};
  var form = cfgEl.closest("form");
  if (!form) return;
  document.documentElement.classList.add("js-rules");

  function named(name) { return form.querySelectorAll('[name="' + CSS.escape(name) + '"]'); }

  // boxID mirrors journey.BoxID: "G1[0].F2" → "f-G1-0-F2-feld".
  function boxID(path) {
    return "f-" + path.replace(/\[(\d+)\]/g, ".$1").split(".").join("-") + "-feld";
  }

  function inHidden(el) { return !!el.closest("[hidden]"); }

  function anyFilled(box) {
    var els = box.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "hidden" || el.type === "submit") continue;
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim() !== "") return true;
    }
    return box.querySelector(".app-files li") !== null;
  }

  function pad(s, n) { s = String(s); while (s.length < n) s = "0" + s; return s; }

  // value reads what the citizen has entered for a key path, in the form
  // the server stores it, or the server's value when the input is on
  // another page.
  function value(path) {
    var day = named(path + ".tag")[0];
    if (day) {
      if (inHidden(day)) return null;
      var m = named(path + ".monat")[0], y = named(path + ".jahr")[0];
      var d = +day.value, mo = m ? +m.value : NaN, yr = y ? +y.value : NaN;
      if (!d || !mo || !yr || y.value.length !== 4) return null;
      var t = new Date(Date.UTC(2000, mo - 1, d)); t.setUTCFullYear(yr);
      if (t.getUTCDate() !== d || t.getUTCMonth() !== mo - 1) return null;
      return pad(yr, 4) + "-" + pad(mo, 2) + "-" + pad(d, 2);
    }
    var els = named(path);
    if (els.length === 0) {
      var box = document.getElementById(boxID(path));
      if (box) return inHidden(box) ? null : (anyFilled(box) ? { filled: true } : null);
      return Object.prototype.hasOwnProperty.call(cfg.values, path) ? cfg.values[path] : null;
    }
    var first = els[0];
    if (inHidden(first)) return null;
    if (first.type === "radio") {
      for (var i = 0; i < els.length; i++) {
        if (els[i].checked) {
          if (els[i].value === "true") return true;
          if (els[i].value === "false") return false;
          return els[i].value;
        }
      }
      return null;
    }
    if (first.type === "checkbox") {
      if (els.length === 1 && first.value === "true") return first.checked;
      // A consent: one checkbox whose value is the list's only code.
      if (els.length === 1 && first.hasAttribute("data-einzeln")) return first.checked ? first.value : null;
      var list = [];
      for (var j = 0; j < els.length; j++) if (els[j].checked) list.push(els[j].value);
      return list.length ? list : null;
    }
    var v = first.value.trim();
    return v === "" ? null : v;
  }

  function truthy(v) { return !!v && !(Array.isArray(v) && v.length === 0); }

  function evaluate() {
    var state = {};
    cfg.rules.forEach(function (r) {
      var data = {};
      Object.keys(cfg.context).forEach(function (k) { data[k] = cfg.context[k]; });
      Object.keys(r.vars).forEach(function (k) {
        var v = value(r.vars[k]);
        if (v !== null) data[k] = v;
      });
      var holds = !r.when || truthy(jsonLogic.apply(r.when, data));
      var s = state[r.target] || (state[r.target] = { hasShow: false, shown: false, hidden: false, hasRequire: false, required: false });
      if (r.kind === "show") { s.hasShow = true; s.shown = s.shown || holds; }
      if (r.kind === "hide") { s.hidden = s.hidden || holds; }
      if (r.kind === "require") { s.hasRequire = true; s.required = s.required || holds; }
    });
    Object.keys(state).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      var s = state[id];
      if (s.hasShow || s.hidden) el.hidden = s.hidden || (s.hasShow && !s.shown);
      if (s.hasRequire) {
        // The "Optional" mark of the element's own label or legend.
        var mark = el.querySelector(":scope > legend .kern-label__optional, :scope > label .kern-label__optional");
        if (mark) mark.hidden = s.required;
      }
    });
  }

  // Twice: an element hidden in the first round reads as empty in the second.
  function run() { evaluate(); evaluate(); }
  form.addEventListener("input", run);
  form.addEventListener("change", run);
  run();
})();
