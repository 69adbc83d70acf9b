// Keyboard-like barcode scanners (USB or Bluetooth) type a code and press Enter.
// Anywhere on a page, that opens the record (through /scan?code=...), even when no field
// has the focus; and a scanner's Enter in a tag field of a form moves on to the next
// field instead of pressing the form's first button (on the registration form that adds a
// member block; elsewhere it would send a half-filled form).
(function () {
  "use strict";
  var field = document.querySelector("[data-scan-field]");
  if (!field) return;
  // Outside a field, keys do nothing else on these pages: a code typed (or scanned) and ended
  // with Enter is taken as a scan; a pause longer than this starts over.
  var MAX_GAP_MS = 1500;
  var CODE_SHAPE = /^[0-9A-Za-z][0-9A-Za-z\- ]{7,14}$/;
  var buffer = "";
  var last = 0;

  function isTagField(el) {
    return el && el.tagName === "INPUT" && /(^|-)tag_code$/.test(el.name || "");
  }

  function nextField(el) {
    // The next field that can really take the focus (not hidden, not in a closed <details>).
    var fields = Array.prototype.slice.call(el.form.querySelectorAll("input, select, textarea"));
    for (var i = fields.indexOf(el) + 1; i < fields.length; i++) {
      fields[i].focus();
      if (document.activeElement === fields[i]) return;
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && isTagField(target)) {
      event.preventDefault();
      nextField(target);
      return;
    }
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var now = Date.now();
    if (now - last > MAX_GAP_MS) buffer = "";
    last = now;
    if (event.key === "Enter") {
      if (CODE_SHAPE.test(buffer)) {
        event.preventDefault();
        field.value = buffer;
        field.form.submit();
      }
      buffer = "";
    } else if (event.key.length === 1) {
      buffer += event.key;
    }
  });
})();
