// The browser's own checks (required, pattern, min/max) speak the page's language: Chromium
// writes its bubble ("Please match the requested format") in the browser's language, so each
// message is replaced by the page's own translation, read from <body data-invalid-*>. The
// registration form checks itself instead (novalidate, formcheck.js). A message is cleared as
// soon as the field changes and before each new try, so a corrected field never stays refused.
(function () {
  "use strict";
  var said = document.body.dataset;

  function fill(text, name, value) { return (text || "").replace("{" + name + "}", value); }

  function messageFor(el) {
    var v = el.validity;
    if (el.dataset.invalid) return el.dataset.invalid;
    if (v.valueMissing) {
      if (el.tagName === "SELECT") return said.invalidChoose;
      if (el.type === "file") return said.invalidFile;
      return said.invalidMissing;
    }
    if (v.patternMismatch) return el.getAttribute("pattern") === "[0-9]*" ? said.invalidDigits : said.invalidFormat;
    if (v.badInput) return el.type === "number" ? said.invalidNumber : said.invalidIncomplete;
    if (v.rangeUnderflow) return fill(said.invalidMin, "min", el.min);
    if (v.rangeOverflow) return fill(said.invalidMax, "max", el.max);
    if (v.stepMismatch) return fill(said.invalidStep, "step", el.step);
    if (v.tooLong) return fill(said.invalidLong, "max", el.maxLength);
    if (v.tooShort) return fill(said.invalidShort, "min", el.minLength);
    return said.invalidFormat;
  }

  function clear(el) {
    if (el && typeof el.setCustomValidity === "function") el.setCustomValidity("");
  }

  function clearForm(form) {
    if (form && form.elements) Array.prototype.forEach.call(form.elements, clear);
  }

  document.addEventListener("invalid", function (event) {
    var el = event.target;
    clear(el);
    if (!el.validity.valid) el.setCustomValidity(messageFor(el) || "");
  }, true);
  ["input", "change"].forEach(function (kind) {
    document.addEventListener(kind, function (event) { clear(event.target); }, true);
  });
  // Before the browser checks a form again (a click on a button, Enter in a field).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button, input[type=submit]");
    if (button && button.form) clearForm(button.form);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.form) clearForm(event.target.form);
  }, true);
})();
