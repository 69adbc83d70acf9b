// Outbox: registrations are saved on the tablet first, then delivered to the station.
//
// A record gets its ids (client_id, person ids) and its final codes here, from the block of
// codes the station gave this device while online; it is sealed for the station (ECDH P-256 +
// HKDF + AES-GCM: the tablet holds only the station's public key) and kept in IndexedDB until
// the station confirms it. Delivery: at once, on `online`, on a timer, on page open, and from
// the "Send now" button. The station accepts a client_id once (a retry gets the same record).
//
// Each record is "waiting", "sending" or "needs a fix". A record the station refuses (invalid
// fields, a tag already used) is never sent again by itself and never dropped: it waits for
// the registrar, who opens it again as a draft with the station's messages beside the fields
// (the station opens the sealed record for the tablet that made it), corrects and saves it.
//
// Only a secure page (HTTPS, or the laptop's own 127.0.0.1) can keep records: elsewhere the
// browser gives no WebCrypto and no service worker, and a record kept in the page would be
// lost with the tab. There the form is sent to the station at once, and when the station
// cannot be reached the page says so and keeps what was typed. See docs/offline.md.
//
// Pages queue other records too (a vehicle's boarding scans: FieldRegOutbox.queue) and hear
// the station's answer as a "fieldreg:outbox" event; one of those refused is dropped and
// reported to its page, never retried.
(function () {
  "use strict";
  var RETRY_MS = 20000, BLOCK = 100, RENEW_BELOW = 40, TIMEOUT_MS = 15000;
  var INFO = "fieldreg-outbox-v1";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var counters = document.querySelectorAll("[data-outbox-count]");
  if (!csrfMeta || !counters.length) return; // not signed in, or not a registrar
  var csrf = csrfMeta.content;
  var secure = !!(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB);
  var box = document.querySelector("[data-outbox-status]");
  var T = box ? box.dataset : {};
  var sending = false, again = false, dbPromise = null, sendingId = null;
  var listeners = [];
  var enc = new TextEncoder();

  // ---- IndexedDB: "outbox" (sealed records by client_id) and "device" (id, codes, key) ----
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("fieldreg", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("outbox", { keyPath: "client_id" });
          req.result.createObjectStore("device", { keyPath: "k" });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  // Run fn(store) in one transaction; resolve with what fn returns once it has committed.
  function inStore(name, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name, mode), out;
        Promise.resolve(fn(t.objectStore(name), function (v) { out = v; }));
        t.oncomplete = function () { resolve(out); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function getDevice() {
    if (!secure) return Promise.resolve(null);
    return inStore("device", "readonly", function (s, done) {
      var r = s.get("device"); r.onsuccess = function () { done(r.result || null); };
    });
  }

  // Take n codes from this device's block atomically (two tabs never get the same code).
  function takeCodes(n) {
    if (!n) return Promise.resolve([]);
    return inStore("device", "readwrite", function (s, done) {
      var r = s.get("device");
      r.onsuccess = function () {
        var dev = r.result;
        if (!dev) { done([]); return; }
        done(dev.codes.splice(0, n));
        s.put(dev);
      };
    });
  }

  // ---- ids and sealing ----
  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function b64url(buf) {
    var s = String.fromCharCode.apply(null, new Uint8Array(buf));
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function unb64url(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, function (c) { return c.charCodeAt(0); });
  }

  async function seal(stationKey, clientId, record) {
    var ecdh = { name: "ECDH", namedCurve: "P-256" };
    var pub = await crypto.subtle.importKey("raw", unb64url(stationKey), ecdh, false, []);
    var eph = await crypto.subtle.generateKey(ecdh, false, ["deriveBits"]);
    var epk = await crypto.subtle.exportKey("raw", eph.publicKey);
    var bits = await crypto.subtle.deriveBits({ name: "ECDH", public: pub }, eph.privateKey, 256);
    var hkdf = await crypto.subtle.importKey("raw", bits, "HKDF", false, ["deriveKey"]);
    var key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: epk, info: enc.encode(INFO) },
      hkdf, { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv, additionalData: enc.encode(clientId) },
      key, enc.encode(JSON.stringify(record)));
    return { client_id: clientId, epk: b64url(epk), iv: b64url(iv), ct: b64url(ct) };
  }

  // ---- talking to the station ----
  var deviceId = "";
  function post(path, body) {
    var headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
    if (deviceId) headers["X-Device-Id"] = deviceId; // for the station's audit log
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, TIMEOUT_MS);
    return fetch(path, {
      method: "POST", credentials: "same-origin", signal: ctl.signal,
      headers: headers, body: JSON.stringify(body),
    }).finally(function () { clearTimeout(timer); });
  }

  // Ask for a new block while online, before this one runs out.
  async function renewCodes() {
    if (!secure) return; // nothing is registered offline on an insecure page
    var dev = await getDevice();
    if (dev && dev.codes.length >= RENEW_BELOW) return;
    var r = await post("/api/v1/devices/codes", { device_id: dev ? dev.device_id : null, count: BLOCK });
    if (!r.ok) return;
    var got = await r.json();
    await inStore("device", "readwrite", function (s) {
      var req = s.get("device");
      req.onsuccess = function () {
        var cur = req.result || { k: "device", codes: [] };
        cur.device_id = got.device_id; cur.station = got.station; cur.station_key = got.station_key;
        cur.codes = cur.codes.concat(got.codes.filter(function (c) { return cur.codes.indexOf(c) < 0; }));
        s.put(cur);
      };
    });
  }

  async function queued() {
    var all = secure ? await inStore("outbox", "readonly", function (s, done) {
      var r = s.getAll(); r.onsuccess = function () { done(r.result); };
    }) : [];
    return all.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
  }

  function store(rec) {
    return inStore("outbox", "readwrite", function (s) { s.put(rec); });
  }

  function forget(clientId) {
    return inStore("outbox", "readwrite", function (s) { s.delete(clientId); });
  }

  async function answer(r) {
    return r.json().catch(function () { return {}; });
  }

  // Send every waiting record; stop at the first sign that the station is unreachable.
  async function deliver() {
    if (!secure) return;
    if (sending) { again = true; return; } // a record saved mid-pass goes in the next pass
    sending = true;
    again = false;
    try {
      var dev = await getDevice();
      deviceId = dev ? dev.device_id : "";
      for (var rec of await queued()) {
        if (rec.state === "fix") continue; // only the registrar sends it again, corrected
        sendingId = rec.client_id;
        await show();
        var r;
        try { r = await post(rec.path || "/api/v1/outbox", rec.sealed); } catch (e) { break; }
        if (r.ok) {
          var hh = await answer(r);
          await forget(rec.client_id);
          if (rec.path) notify(rec, true, r.status, hh);
          else tell({ kind: "sent", record: rec, household: hh });
        } else if (r.status === 401 || r.status === 403) {
          say(T.login, "bad"); break;
        } else if (r.status >= 500) {
          break;
        } else {
          var err = await answer(r);
          if (err.code === "csrf_expired" && await refreshCsrf()) { again = true; break; }
          if (rec.path) { await forget(rec.client_id); notify(rec, false, r.status, err); continue; }
          rec.state = "fix";
          rec.problem = { code: err.code || String(r.status), error: err.error || "", fields: err.fields || {} };
          await store(rec);
          tell({ kind: "refused", record: rec });
        }
      }
      await renewCodes().catch(function () {});
    } finally {
      sending = false;
      sendingId = null;
      await show();
    }
    if (again) deliver();
  }

  // A page opened from the offline cache may carry an older session's CSRF token.
  async function refreshCsrf() {
    var r = await fetch("/register", { credentials: "same-origin", cache: "no-store" });
    var m = /name="csrf-token" content="([^"]+)"/.exec(await r.text());
    if (!m || m[1] === csrf) return false;
    csrf = m[1];
    return true;
  }

  // Other queued records (a vehicle's scans): the page that queued them hears the answer.
  function notify(rec, ok, status, body) {
    document.dispatchEvent(new CustomEvent("fieldreg:outbox", {
      detail: { client_id: rec.client_id, path: rec.path, code: rec.code, ok: ok, status: status,
        body: body } }));
  }

  // Queue any record for a path of the station's API, sealed. On a page that cannot keep it,
  // it is sent at once and a failure is reported as such (nothing is claimed kept).
  // Resolves with its client_id.
  async function queueRecord(path, record, label) {
    var clientId = uuid4(), dev = await getDevice();
    var rec = { client_id: clientId, path: path, code: label || "", state: "waiting",
      created_at: new Date().toISOString() };
    if (secure && dev && dev.station_key) {
      rec.sealed = await seal(dev.station_key, clientId, record);
      await store(rec);
      await show();
      deliver();
    } else {
      sendNow(rec, Object.assign({ client_id: clientId }, record));
    }
    return clientId;
  }

  async function sendNow(rec, body) {
    var r;
    try { r = await post(rec.path, body); } catch (e) {
      notify(rec, false, 0, { error: T.unreachable || "" });
      return;
    }
    notify(rec, r.ok, r.status, await answer(r));
  }

  // ---- what the form hands over ----
  function value(pairs, name) {
    var hit = pairs.find(function (p) { return p[0] === name; });
    return hit ? hit[1] : "";
  }

  // Seal and keep a checked household. ``draft`` (a record being corrected) lends its ids and
  // codes, except those the station refused.
  async function queueHousehold(pairs, prefixes, draft) {
    var dev = await getDevice();
    // No key yet (the tablet has not reached the station since it was set up): nothing can
    // be sealed, so the caller sends the household straight to the station instead.
    if (!dev || !dev.station_key) throw new Error("no station key yet");
    var old = draft ? draft.pairs : [];
    var refused = draft && draft.problem ? draft.problem.fields || {} : {};
    function reuse(name) { return refused[name] ? "" : value(old, name); }
    var clientId = draft && draft.problem && draft.problem.code !== "client_id_reused" ? draft.client_id : uuid4();
    var needs = prefixes.filter(function (pre) {
      return !value(pairs, pre + "tag_code") && !reuse(pre + "device_code");
    });
    var own = !value(pairs, "household_tag_code");
    var hhCode = own ? reuse("household_device_code") : "";
    var codes = await takeCodes(needs.length + (own && !hhCode ? 1 : 0));
    pairs = pairs.slice();
    pairs.push(["client_id", clientId]);
    if (dev) pairs.push(["device_id", dev.device_id]);
    if (own && !hhCode) hhCode = codes.shift() || "";
    if (own && hhCode) pairs.push(["household_device_code", hhCode]);
    var people = [];
    prefixes.forEach(function (pre) {
      pairs.push([pre + "person_id", reuse(pre + "person_id") || uuid4()]);
      var code = value(pairs, pre + "tag_code") || reuse(pre + "device_code");
      if (!code && needs.indexOf(pre) >= 0 && codes.length) code = codes.shift();
      if (code && !value(pairs, pre + "tag_code")) pairs.push([pre + "device_code", code]);
      people.push({ code: code, name: value(pairs, pre + "given_name") });
    });
    var code = own ? hhCode : value(pairs, "household_tag_code");
    var rec = { client_id: clientId, code: code || "", state: "waiting", created_at: new Date().toISOString() };
    rec.sealed = await seal(dev.station_key, clientId, { fields: pairs });
    await store(rec);
    if (draft && draft.client_id !== clientId) await forget(draft.client_id);
    await show();
    return { record: rec, people: people };
  }

  // Send a household straight to the station (an insecure page keeps nothing): the answer
  // is {household}, {errors, message} when refused, or {offline: true}.
  async function sendPlain(pairs) {
    var clientId = uuid4(), r;
    try {
      r = await post("/api/v1/outbox", { client_id: clientId, fields: pairs });
    } catch (e) { return { offline: true }; }
    if (r.ok) return { household: await answer(r) };
    if (r.status >= 500) return { offline: true };
    var err = await answer(r);
    if (err.code === "csrf_expired" && await refreshCsrf()) return sendPlain(pairs);
    return { errors: err.fields || {}, message: err.error || String(r.status), code: err.code };
  }

  // Ask the station to open a refused record again, to correct it.
  async function openDraft(clientId) {
    var rec = (await queued()).find(function (q) { return q.client_id === clientId; });
    if (!rec) return null;
    var r = await post("/api/v1/outbox/open", rec.sealed);
    if (!r.ok) throw new Error(String(r.status));
    var opened = await answer(r);
    return { client_id: rec.client_id, code: rec.code, problem: rec.problem || null, pairs: opened.fields };
  }

  // ---- what the registrar sees ----
  function tell(event) {
    listeners.forEach(function (fn) { fn(event); });
    if (event.kind === "sent" && !event.claimed) {
      say(T.sent.replace("{code}", event.household.code), "ok", "/households/" + event.household.code, T.open);
    }
    if (event.kind === "refused" && !event.claimed) {
      say(T.refused.replace("{code}", event.record.code || "…"), "bad",
        "/register?fix=" + encodeURIComponent(event.record.client_id) + "#outbox", T.fix);
    }
  }

  async function show() {
    var all = await queued();
    var fix = all.filter(function (r) { return r.state === "fix"; }).length;
    counters.forEach(function (el) { el.textContent = String(all.length); });
    document.querySelectorAll("[data-outbox-fix]").forEach(function (el) { el.hidden = !fix; });
    document.querySelectorAll("[data-outbox-link]").forEach(function (el) { el.classList.toggle("needs-fix", !!fix); });
    var list = document.querySelector("[data-outbox-list]");
    if (!list) return;
    list.textContent = "";
    all.forEach(function (rec) {
      var state = rec.state === "fix" ? "fix" : rec.client_id === sendingId ? "sending" : "waiting";
      var li = document.createElement("li");
      li.className = "outbox-item state-" + state;
      li.dataset.state = state;
      li.dataset.clientId = rec.client_id;
      var code = document.createElement("span");
      code.className = "code"; code.textContent = rec.code || "…";
      var label = document.createElement("span");
      label.className = "state"; label.textContent = T["state" + state[0].toUpperCase() + state.slice(1)] || state;
      li.append(code, " ", label);
      if (state === "fix") {
        var why = document.createElement("span");
        why.className = "muted"; why.textContent = rec.problem && rec.problem.error ? rec.problem.error : "";
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "primary"; btn.textContent = T.fix;
        btn.dataset.fix = rec.client_id;
        li.append(" ", why, " ", btn);
      }
      list.appendChild(li);
    });
    var panel = document.querySelector("[data-outbox-panel]");
    if (panel) panel.hidden = !all.length;
  }

  function say(text, tone, href, linkText) {
    if (!box) return;
    box.hidden = false;
    box.className = "status " + (tone || "ok");
    box.textContent = text + " ";
    if (href) {
      var a = document.createElement("a");
      a.href = href; a.textContent = linkText || T.open;
      box.appendChild(a);
    }
  }

  function start() {
    document.querySelectorAll("[data-outbox-send]").forEach(function (b) {
      b.hidden = !secure;
      b.addEventListener("click", function () { deliver(); });
    });
    document.querySelectorAll("form.logout").forEach(function (f) {
      // The cached pages carry the user's name; the outbox itself stays to be delivered.
      f.addEventListener("submit", function () {
        if (!window.caches) return;
        caches.keys().then(function (keys) {
          keys.forEach(function (k) { if (k.indexOf("fieldreg-") === 0) caches.delete(k); });
        });
      });
    });
    window.addEventListener("online", deliver);
    setInterval(deliver, RETRY_MS);
    show();
    // After the page has loaded, so that caching the app shell does not slow its first paint.
    if (document.readyState === "complete") afterLoad();
    else window.addEventListener("load", afterLoad);
  }

  function afterLoad() {
    if (secure && navigator.storage && navigator.storage.persist) navigator.storage.persist();
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    }
    deliver();
  }

  window.FieldRegOutbox = {
    secure: secure,
    queue: queueRecord,
    queueHousehold: queueHousehold,
    deliver: deliver,
    sendPlain: sendPlain,
    openDraft: openDraft,
    say: say,
    show: show,
    onEvent: function (fn) { listeners.push(fn); },
  };
  start();
})();
