// A vehicle's door: scan tags as people board (or arrive). Each scan is judged at once on the
// tablet where it can be (a code whose check character fails, a tag already scanned on this
// vehicle) and otherwise queued through the outbox (outbox.js), which delivers it now or when
// the station is reachable again; the station's verdict (recorded, also on another vehicle,
// unknown tag, already on) comes back as a "fieldreg:outbox" event. Every verdict is shown in
// colour and words and heard as a short tone made here with WebAudio (no sound file).
// Without JavaScript the form posts to the station and the page shows the verdict.
(function () {
  "use strict";
  var form = document.querySelector("[data-board-form]");
  if (!form || !window.FieldRegOutbox) return;
  var input = form.querySelector("[data-board-code]");
  var box = document.querySelector("[data-board-result]");
  var log = document.querySelector("[data-board-log]");
  var T = form.dataset;
  var scanned = new Set(JSON.parse(T.scanned || "[]"));
  var pending = {}; // client_id -> {code, li, timer}
  var ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  var WAIT_MS = 1500; // no answer by then: say it is kept on the tablet
  var TONES = { ok: [[880, 0.09]], warning: [[660, 0.1], [660, 0.1]], error: [[196, 0.4]] };
  var audio = null;

  // The check character of fieldreg/codes.py: weighted sum modulo 31.
  function parseCode(text) {
    var raw = text.replace(/[\s\-_.]+/g, "").toUpperCase();
    if (raw.length !== 9) return null;
    var total = 0;
    for (var i = 0; i < 8; i++) {
      var v = ALPHABET.indexOf(raw[7 - i]);
      if (v < 0) return null;
      total += v * (i + 2);
    }
    if (ALPHABET[((-total % 31) + 31) % 31] !== raw[8]) return null;
    return raw.slice(0, 3) + "-" + raw.slice(3);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function tone(kind) {
    box.dataset.sound = kind;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      var start = audio.currentTime;
      TONES[kind].forEach(function (step, i) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = kind === "error" ? "square" : "sine";
        osc.frequency.value = step[0];
        gain.gain.value = 0.15;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start + i * 0.16);
        osc.stop(start + i * 0.16 + step[1]);
      });
    } catch (e) { /* no audio device: the colour and the words remain */ }
  }

  // Put a message in a node with each code in its own unbreakable span: a 360 px phone
  // broke "T3S-2225FG" after its hyphen, and a half code reads as another code.
  function render(node, text) {
    node.textContent = "";
    text.split(/([0-9A-Z]{3}-[0-9A-Z]{6})/).forEach(function (part, i) {
      if (i % 2 === 0) { node.appendChild(document.createTextNode(part)); return; }
      var span = document.createElement("span");
      span.className = "code";
      span.textContent = part;
      node.appendChild(span);
    });
  }

  function show(state, text, li) {
    box.hidden = false;
    box.className = "scan-result " + state;
    box.dataset.state = state;
    render(box, text);
    if (li) { li.className = state; render(li, text); }
  }

  function entry(state, text) {
    var li = document.createElement("li");
    log.insertBefore(li, log.firstChild);
    show(state, text, li);
    return li;
  }

  function names(people) {
    return (people || []).map(function (p) { return p.name + " (" + p.code + ")"; }).join(", ");
  }

  function counts(found) {
    Object.keys(found || {}).forEach(function (key) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el && found[key] !== null) el.textContent = String(found[key]);
    });
  }

  function verdict(detail) {
    var job = pending[detail.client_id];
    if (!job && detail.path === T.url) { // queued before this page was (re)opened
      job = { code: detail.code, li: entry("queued", detail.code) };
    }
    if (!job) return;
    delete pending[detail.client_id];
    clearTimeout(job.timer);
    var body = detail.body || {};
    if (!detail.ok) {
      var already = body.code === "already_scanned";
      if (!already) scanned.delete(job.code);
      // The station's own words are English: say the known refusals in the page language.
      var said = already ? fill(T.tAlready, { code: job.code })
        : body.code === "vehicle_closed" ? T.tClosed
        : fill(T.tRefused, { code: job.code }) + " " + (body.error || "");
      show("error", said, job.li);
      tone("error");
      return;
    }
    (body.added || []).forEach(function (p) { scanned.add(p.code); });
    counts(body.counts);
    if (body.status === "unknown") {
      show("error", fill(T.tUnknown, { code: job.code }), job.li);
      tone("error");
    } else if (body.status === "warning") {
      var where = (body.elsewhere || []).map(function (e) { return e.vehicle; }).join(", ");
      show("warning", fill(T.tWarning, { names: names(body.added), vehicle: where }), job.li);
      tone("warning");
    } else {
      show("ok", fill(T.tOk, { names: names(body.added) }), job.li);
      tone("ok");
    }
  }

  function kept(clientId) {
    var job = pending[clientId];
    // Only a secure page keeps a scan on the tablet (outbox.js): elsewhere it waits for the
    // station's answer, or its failure, and claims nothing meanwhile (issue 14).
    if (!job || job.kept || !window.FieldRegOutbox.secure) return;
    job.kept = true;
    show("queued", fill(T.tQueued, { code: job.code }), job.li);
    tone("ok");
  }

  async function record(raw) {
    var code = parseCode(raw);
    if (!code) { entry("error", fill(T.tInvalid, { code: raw })); tone("error"); return; }
    if (scanned.has(code)) { entry("error", fill(T.tAlready, { code: code })); tone("error"); return; }
    scanned.add(code);
    var li = entry("queued", fill(T.tSending, { code: code }));
    var body = { code: code, kind: T.kind, at: new Date().toISOString() };
    var job = { code: code, li: li };
    var clientId = await window.FieldRegOutbox.queue(T.url, body, code);
    pending[clientId] = job;
    if (!navigator.onLine) kept(clientId);
    else job.timer = setTimeout(function () { kept(clientId); }, WAIT_MS);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var raw = input.value.trim();
    input.value = "";
    input.focus();
    if (raw) record(raw);
  });
  document.addEventListener("fieldreg:outbox", function (event) { verdict(event.detail); });
})();
