// Registration form: add and remove member blocks without a page reload.
// Without JavaScript the "Add a member" button posts the form and the server adds a block.
(function () {
  "use strict";
  var form = document.querySelector("[data-register-form]");
  if (!form) return;
  var members = form.querySelector("[data-members]");
  var template = document.getElementById("member-template");
  var addButton = form.querySelector("[data-add-member]");

  function nextIndex() {
    var max = 0;
    form.querySelectorAll("[name]").forEach(function (el) {
      var m = /^m(\d+)-/.exec(el.name);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    return max + 1;
  }

  function wireRemove(block) {
    var btn = block.querySelector("[data-remove-member]");
    if (!btn) return;
    btn.hidden = false;
    btn.addEventListener("click", function () { block.remove(); });
  }

  members.querySelectorAll("[data-member]").forEach(wireRemove);

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    var index = nextIndex();
    var html = template.innerHTML.replace(/m__i__-/g, "m" + index + "-");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var block = holder.firstElementChild;
    members.appendChild(block);
    wireRemove(block);
    var first = block.querySelector("input");
    if (first) first.focus();
  });
})();
