// Registration form with JavaScript: member blocks without a reload; the household is checked
// on the tablet (formcheck.js, the station's own rules) before it is sealed, and a mistake is
// shown beside its field with everything typed kept; then it goes to the outbox (outbox.js).
// After saving: codes, QR tags, print links and "Register next". A record the station refused
// comes back here as a draft with the station's messages. Without JavaScript the form posts.
(function () {
  "use strict";
  var form = document.querySelector("[data-register-form]");
  if (!form) return;
  var members = form.querySelector("[data-members]");
  var template = document.getElementById("member-template");
  var addButton = form.querySelector("[data-add-member]");
  var rules = form.dataset.rules ? JSON.parse(form.dataset.rules) : null;
  var check = window.FieldRegCheck, outbox = window.FieldRegOutbox;
  var T = form.dataset;
  var draft = null, lastSaved = null, busy = false;
  var OWN = ["csrf_token", "action", "client_id"];

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

  function addMember(index) {
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/m__i__-/g, "m" + index + "-");
    var block = holder.firstElementChild;
    members.appendChild(block);
    wireRemove(block);
    return block;
  }

  members.querySelectorAll("[data-member]").forEach(wireRemove);
  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    var first = addMember(nextIndex()).querySelector("input");
    if (first) first.focus();
  });
  // Offline, the service worker answers any page with this form (search, a household…): say
  // so, or a registrar who opened search is left wondering why the register form came up.
  var elsewhere = document.querySelector("[data-offline-elsewhere]");
  if (elsewhere && ["/register", "/"].indexOf(location.pathname) < 0) elsewhere.hidden = false;
  if (!rules || !check || !outbox) return; // the form posts as it would without JavaScript

  // ---- what was typed ----
  function collect() {
    var pairs = [];
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && v.trim() && OWN.indexOf(k) < 0) pairs.push([k, v.trim()]);
    });
    return pairs;
  }

  function blank() {
    return !collect().some(function (p) { return !/(^|-)(sex|age_estimated)$/.test(p[0]); });
  }

  function localToday() {
    var d = new Date();
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  function resetForm() {
    form.reset();
    form.querySelectorAll("[data-member]").forEach(function (b, i) { if (i > 0) b.remove(); });
    clearMarks();
  }

  // Put a draft's values back into the form, member blocks included.
  function fillFrom(pairs) {
    resetForm();
    var seen = {};
    pairs.forEach(function (p) {
      var m = /^m(\d+)-/.exec(p[0]);
      if (m && !seen[m[1]]) { seen[m[1]] = true; addMember(parseInt(m[1], 10)); }
    });
    pairs.forEach(function (p) {
      form.querySelectorAll('[name="' + CSS.escape(p[0]) + '"]').forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === p[1] || (p[1] === "on" && !el.hasAttribute("value"))) el.checked = true;
        } else if (el.type !== "hidden") {
          el.value = p[1];
        }
      });
    });
  }

  // ---- messages beside the fields ----
  function clearMarks() {
    form.querySelectorAll(".field-error, .field-warning").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".invalid, .doubtful").forEach(function (el) {
      el.classList.remove("invalid", "doubtful");
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var summary = document.querySelector("[data-form-summary]");
    if (summary) { summary.hidden = true; summary.textContent = ""; }
    var confirm = document.querySelector("[data-confirm-box]");
    if (confirm) confirm.hidden = true;
  }

  function mark(name, messages, kind) {
    var input = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (!input || input.type === "hidden") return false;
    var holder = input.closest(".field, .checks, .check") || input.parentNode;
    holder.classList.add(kind === "error" ? "invalid" : "doubtful");
    if (kind === "error") input.setAttribute("aria-invalid", "true");
    messages.forEach(function (text) {
      var span = document.createElement("span");
      span.className = kind === "error" ? "field-error" : "field-warning";
      span.dataset.jsMessage = "";
      span.id = "msg-" + name;
      span.textContent = text;
      holder.appendChild(span);
    });
    input.setAttribute("aria-describedby", "msg-" + name);
    var details = input.closest("details");
    if (details) details.open = true;
    return input;
  }

  function showProblems(found, kind, general) {
    clearMarks();
    var first = null, loose = general ? [general] : [];
    Object.keys(found).forEach(function (name) {
      var input = mark(name, found[name], kind);
      if (input && !first) first = input;
      if (!input) loose = loose.concat(found[name]);
    });
    var summary = document.querySelector("[data-form-summary]");
    if (kind === "error" && summary) {
      summary.hidden = false;
      summary.textContent = [T.fixFields].concat(loose).join(" ");
    }
    var confirm = document.querySelector("[data-confirm-box]");
    if (kind === "warning" && confirm) confirm.hidden = false;
    (first || summary || form).scrollIntoView({ block: "center" });
    if (first) first.focus({ preventScroll: true });
  }

  // ---- after saving ----
  function panel(hhCode, people, received) {
    var box = document.querySelector("[data-saved-panel]");
    if (!box) return;
    var view = document.getElementById("saved-template").content.cloneNode(true);
    view.querySelector("[data-hh-code]").textContent = hhCode || "…";
    view.querySelector("[data-hh-code-q]").textContent = hhCode || "…";
    view.querySelector("[data-saved-received]").hidden = !received;
    view.querySelector("[data-saved-queued]").hidden = !!received;
    var list = view.querySelector("[data-saved-members]");
    people.forEach(function (p) {
      var li = document.createElement("li");
      if (received && p.code) {
        var img = document.createElement("img");
        img.className = "qr small"; img.width = 64; img.height = 64; img.alt = p.code;
        img.src = "/api/v1/tags/" + encodeURIComponent(p.code) + ".svg";
        li.appendChild(img);
      }
      var code = document.createElement("span");
      code.className = "code"; code.textContent = p.code || "…";
      var name = document.createElement("bdi");
      name.textContent = p.name || "";
      li.append(code, " ", name);
      list.appendChild(li);
    });
    view.querySelectorAll("[data-saved-link]").forEach(function (a) {
      a.hidden = !received;
      a.href = "/households/" + encodeURIComponent(hhCode) + a.dataset.savedLink;
    });
    if (received) {
      var qr = view.querySelector("[data-hh-qr]");
      qr.hidden = false; qr.alt = hhCode;
      qr.src = "/api/v1/tags/" + encodeURIComponent(hhCode) + ".svg";
    }
    box.textContent = "";
    box.appendChild(view);
    box.hidden = false;
    box.querySelector("[data-register-next]").addEventListener("click", function () {
      box.hidden = true;
      window.scrollTo(0, 0);
      form.querySelector('[name="given_name"]').focus();
    });
    box.scrollIntoView({ block: "start" });
  }

  function showReceived(hh) {
    panel(hh.code, (hh.members || []).map(function (m) { return { code: m.code, name: m.given_name }; }), true);
  }

  // ---- correcting a record the station refused ----
  async function reopen(clientId) {
    var got;
    try { got = await outbox.openDraft(clientId); } catch (e) { outbox.say(T.cannotOpen, "bad"); return; }
    if (!got) return;
    draft = got;
    var saved = document.querySelector("[data-saved-panel]");
    if (saved) saved.hidden = true;
    fillFrom(got.pairs);
    var problem = got.problem || {};
    showProblems(problem.fields || {}, "error", problem.error);
    outbox.say(T.fixing.replace("{code}", got.code || "…"), "bad");
  }

  document.addEventListener("click", function (event) {
    var btn = event.target.closest("[data-fix]");
    if (btn) { event.preventDefault(); reopen(btn.dataset.fix); }
  });

  outbox.onEvent(function (event) {
    if (!lastSaved || event.record.client_id !== lastSaved) return;
    if (event.kind === "sent") {
      outbox.say(T.received.replace("{code}", event.household.code), "ok");
      showReceived(event.household);
      event.claimed = true;
    } else if (event.kind === "refused" && blank()) {
      event.claimed = true;
      var box = document.querySelector("[data-saved-panel]");
      if (box) box.hidden = true;
      reopen(event.record.client_id);
    }
  });

  // ---- saving ----
  form.addEventListener("submit", async function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "add_member") return;
    event.preventDefault();
    // A double tap must not register the family twice (the first save is still sealing), and
    // a tap on Save with nothing typed after a save is not a mistake to shout about.
    if (busy) return;
    var shown = document.querySelector("[data-saved-panel]");
    if (shown && !shown.hidden && blank()) { form.querySelector('[name="given_name"]').focus(); return; }
    if (shown) shown.hidden = true; // the last household's panel is not this one's answer
    var pairs = check.normalise(collect(), rules);
    var result = check.check(pairs, rules, localToday());
    if (Object.keys(result.errors).length) { showProblems(result.errors, "error"); return; }
    var anyway = submitter && submitter.value === "save_anyway";
    if (!anyway && Object.keys(result.warnings).length) { showProblems(result.warnings, "warning"); return; }
    clearMarks();
    busy = true;
    form.setAttribute("aria-busy", "true");
    try {
      if (outbox.secure) await saveOnTablet(pairs, result.blocks);
      else await saveAtStation(pairs);
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  });

  async function saveOnTablet(pairs, prefixes) {
    var saved;
    try {
      saved = await outbox.queueHousehold(pairs, prefixes, draft);
    } catch (e) {
      return saveAtStation(pairs); // no station key on this tablet yet
    }
    draft = null;
    lastSaved = saved.record.client_id;
    resetForm();
    outbox.say(T.queued.replace("{code}", saved.record.code || "…"), "ok");
    panel(saved.record.code, saved.people, false);
    outbox.deliver();
  }

  async function saveAtStation(pairs) {
    var got = await outbox.sendPlain(pairs);
    if (got.household) {
      resetForm();
      outbox.say(T.received.replace("{code}", got.household.code), "ok");
      showReceived(got.household);
    } else if (got.offline) {
      outbox.say(outbox.secure ? T.noKey : T.notSaved, "bad");
    } else {
      showProblems(got.errors, "error", got.message);
    }
  }

  // A family half typed is not lost to a tap on the menu or the back button: the browser asks
  // first (what was typed is not kept unsealed anywhere, so it cannot be brought back later).
  var pristine = JSON.stringify(collect());
  window.addEventListener("beforeunload", function (event) {
    if (!busy && JSON.stringify(collect()) !== pristine) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  var insecure = document.querySelector("[data-insecure-note]");
  if (insecure) insecure.hidden = outbox.secure;
  var fix = new URLSearchParams(location.search).get("fix");
  if (fix && outbox.secure) reopen(fix);
})();
