// While a registrar types a name, show people already registered who may be the same person.
(function () {
  "use strict";
  var form = document.querySelector("[data-register-form]");
  if (!form || !window.fetch) return;
  var FIELDS = ["given_name", "father_name", "mother_name", "family_name", "age_years"];
  var timers = new WeakMap();

  function prefixOf(name) {
    var m = /^(m\d+-)?(given_name|father_name|mother_name|family_name|age_years)$/.exec(name);
    return m ? (m[1] || "") : null;
  }

  function panelFor(block) {
    var panel = block.querySelector("[data-matches]");
    if (!panel) {
      panel = document.createElement("div");
      panel.className = "matches";
      panel.setAttribute("data-matches", "");
      panel.setAttribute("role", "status");
      block.appendChild(panel);
    }
    return panel;
  }

  function show(block, results) {
    var panel = panelFor(block);
    panel.textContent = "";
    if (!results.length) return;
    var title = document.createElement("p");
    title.textContent = form.dataset.matchesTitle || "Possibly already registered:";
    panel.appendChild(title);
    results.forEach(function (r) {
      var a = document.createElement("a");
      a.href = "/people/" + encodeURIComponent(r.code);
      a.className = "button secondary";
      a.textContent = r.name + (r.age_years != null ? ", " + r.age_years : "") + " · " + r.code;
      a.setAttribute("data-match-code", r.code);
      panel.appendChild(a);
    });
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link";
    dismiss.textContent = form.dataset.matchesDismiss || "Not them, carry on";
    dismiss.addEventListener("click", function () { panel.textContent = ""; });
    panel.appendChild(dismiss);
  }

  function lookup(block, prefix) {
    var params = new URLSearchParams();
    FIELDS.forEach(function (f) {
      var el = form.elements[prefix + f];
      if (el && el.value.trim()) params.set(f, el.value.trim());
    });
    if (!params.get("given_name") && !params.get("family_name")) return show(block, []);
    fetch("/api/v1/matches?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { show(block, data.results || []); })
      .catch(function () { /* offline: no warning, registration goes on */ });
  }

  form.addEventListener("input", function (event) {
    var prefix = prefixOf(event.target.name || "");
    if (prefix === null) return;
    var block = event.target.closest("[data-member]");
    clearTimeout(timers.get(block));
    timers.set(block, setTimeout(function () { lookup(block, prefix); }, 350));
  });
})();
