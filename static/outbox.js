// Outbox: registrations are saved on the tablet first, then delivered to the station.
//
// A record gets its ids (client_id, person ids) and its final codes here, from the block of
// codes the station gave this device while online; it is sealed for the station (ECDH P-256 +
// HKDF + AES-GCM: the tablet holds only the station's public key) and kept in IndexedDB until
// the station confirms it. Delivery: at once, on `online`, on a timer, on page open, and from
// the "send now" button. The station accepts a client_id once (a retry gets the same record).
// On plain HTTP (no WebCrypto, no service worker) the queue lives in memory while the page is
// open. Without JavaScript the form posts normally. See docs/offline.md.
// Pages queue other records too (a vehicle's boarding scans: FieldRegOutbox.queue) and hear
// the station's answer as a "fieldreg:outbox" event.
(function () {
  "use strict";
  var RETRY_MS = 20000, BLOCK = 100, RENEW_BELOW = 40, TIMEOUT_MS = 15000;
  var INFO = "fieldreg-outbox-v1";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var counters = document.querySelectorAll("[data-outbox-count]");
  if (!csrfMeta || !counters.length) return; // not signed in: nothing to deliver with
  var csrf = csrfMeta.content;
  var secure = !!(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB);
  var memory = []; // plain-HTTP queue: only while this page is open
  var sending = false, again = false, dbPromise = null;
  var enc = new TextEncoder();
  var T = { queued: "Saved on this tablet: {code}", sent: "Sent: {code}", refused: "Refused: {code}",
    login: "Log in again to send.", open: "Open" }; // replaced by the page's translations

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

  function getAll(store) {
    return inStore(store, "readonly", function (s, done) {
      var r = s.getAll(); r.onsuccess = function () { done(r.result); };
    });
  }

  function getDevice() {
    if (!secure) return Promise.resolve(window.__frDevice || null);
    return inStore("device", "readonly", function (s, done) {
      var r = s.get("device"); r.onsuccess = function () { done(r.result || null); };
    });
  }

  // Take n codes from this device's block atomically (two tabs never get the same code).
  function takeCodes(n) {
    if (!secure) {
      var d = window.__frDevice;
      return Promise.resolve(d ? d.codes.splice(0, n) : []);
    }
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
    var dev = await getDevice();
    if (dev && dev.codes.length >= RENEW_BELOW) return;
    var r = await post("/api/v1/devices/codes", { device_id: dev ? dev.device_id : null, count: BLOCK });
    if (!r.ok) return;
    var got = await r.json();
    if (!secure) {
      window.__frDevice = { device_id: got.device_id, station_key: got.station_key,
        codes: (dev ? dev.codes : []).concat(got.codes) };
      return;
    }
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
    var all = (secure ? await getAll("outbox") : []).concat(memory);
    return all.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
  }

  async function forget(rec) {
    if (rec.memory) { memory.splice(memory.indexOf(rec), 1); return; }
    await inStore("outbox", "readwrite", function (s) { s.delete(rec.client_id); });
  }

  async function markRefused(rec, message) {
    rec.error = message;
    if (!rec.memory) await inStore("outbox", "readwrite", function (s) { s.put(rec); });
  }

  // Send every queued record; stop at the first sign that the station is unreachable.
  async function deliver() {
    if (sending) { again = true; return; } // a record saved mid-pass goes in the next pass
    sending = true;
    again = false;
    try {
      var dev = await getDevice();
      deviceId = dev ? dev.device_id : "";
      for (var rec of await queued()) {
        var r;
        try { r = await post(rec.path || "/api/v1/outbox", rec.sealed || rec.plain); } catch (e) { break; }
        if (r.ok) {
          var hh = await r.json();
          await forget(rec);
          if (rec.path) notify(rec, true, r.status, hh);
          else say(T.sent.replace("{code}", hh.code), "/households/" + hh.code);
        } else if (r.status === 401 || r.status === 403) {
          say(T.login); break;
        } else if (r.status >= 500) {
          break;
        } else {
          var err = await r.json().catch(function () { return {}; });
          if (err.code === "csrf_expired" && await refreshCsrf()) continue;
          if (rec.path) { await forget(rec); notify(rec, false, r.status, err); continue; }
          await markRefused(rec, err.error || String(r.status));
          say(T.refused.replace("{code}", rec.code || "") + " " + (err.error || ""));
        }
      }
      await renewCodes().catch(function () {});
    } finally {
      sending = false;
      await showCount();
    }
    if (again) deliver();
  }

  // Other queued records (a vehicle's scans): the page that queued them hears the answer.
  function notify(rec, ok, status, body) {
    document.dispatchEvent(new CustomEvent("fieldreg:outbox", {
      detail: { client_id: rec.client_id, path: rec.path, code: rec.code, ok: ok, status: status,
        body: body } }));
  }

  // Queue any record for a path of the station's API (sealed when this tablet can seal);
  // a refused one is dropped and reported, never retried. Resolves with its client_id.
  async function queueRecord(path, record, label) {
    var clientId = uuid4(), dev = await getDevice();
    var rec = { client_id: clientId, path: path, code: label || "", created_at: new Date().toISOString() };
    if (secure && dev && dev.station_key) {
      rec.sealed = await seal(dev.station_key, clientId, record);
      await inStore("outbox", "readwrite", function (s) { s.put(rec); });
    } else {
      rec.plain = Object.assign({ client_id: clientId }, record);
      rec.memory = true;
      memory.push(rec);
    }
    await showCount();
    deliver();
    return clientId;
  }
  window.FieldRegOutbox = { queue: queueRecord };

  // A page opened from the offline cache may carry an older session's CSRF token.
  async function refreshCsrf() {
    var r = await fetch("/register", { credentials: "same-origin", cache: "no-store" });
    var m = /name="csrf-token" content="([^"]+)"/.exec(await r.text());
    if (!m || m[1] === csrf) return false;
    csrf = m[1];
    return true;
  }

  // ---- the registration form ----
  function members(pairs) {
    var seen = { "": true };
    pairs.forEach(function (p) {
      var m = /^(m\d+-)(.+)$/.exec(p[0]);
      if (m && p[1] && ["sex", "age_estimated", "vulnerabilities"].indexOf(m[2]) < 0) seen[m[1]] = true;
    });
    return Object.keys(seen).sort(function (a, b) { return (parseInt(a.slice(1), 10) || 0) - (parseInt(b.slice(1), 10) || 0); });
  }

  function value(pairs, name) {
    var hit = pairs.find(function (p) { return p[0] === name; });
    return hit ? hit[1] : "";
  }

  async function queueForm(form) {
    var pairs = [];
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && v.trim() && ["csrf_token", "action", "client_id"].indexOf(k) < 0) pairs.push([k, v]);
    });
    var clientId = uuid4(), people = members(pairs), dev = await getDevice();
    var needs = people.filter(function (pre) { return !value(pairs, pre + "tag_code"); });
    var own = !value(pairs, "household_tag_code");
    var codes = await takeCodes(needs.length + (own ? 1 : 0));
    pairs.push(["client_id", clientId]);
    if (dev) pairs.push(["device_id", dev.device_id]);
    var hhCode = own ? codes.shift() : value(pairs, "household_tag_code");
    if (own && hhCode) pairs.push(["household_device_code", hhCode]);
    people.forEach(function (pre) {
      pairs.push([pre + "person_id", uuid4()]);
      if (needs.indexOf(pre) >= 0 && codes.length) pairs.push([pre + "device_code", codes.shift()]);
    });
    var rec = { client_id: clientId, code: hhCode || "", created_at: new Date().toISOString() };
    if (secure && dev && dev.station_key) {
      rec.sealed = await seal(dev.station_key, clientId, { fields: pairs });
      await inStore("outbox", "readwrite", function (s) { s.put(rec); });
    } else {
      rec.plain = { client_id: clientId, fields: pairs };
      rec.memory = true;
      memory.push(rec);
    }
    return rec;
  }

  function wireForm() {
    var form = document.querySelector("[data-register-form]");
    if (!form) return;
    form.addEventListener("submit", async function (event) {
      if (event.submitter && event.submitter.value === "add_member") return;
      event.preventDefault();
      var head = form.querySelector('[name="given_name"]');
      if (!head.value.trim()) { head.setAttribute("aria-invalid", "true"); head.focus(); return; }
      var rec = await queueForm(form);
      form.reset();
      form.querySelectorAll("[data-member]").forEach(function (b, i) { if (i > 0) b.remove(); });
      say(T.queued.replace("{code}", rec.code || "…"));
      await showCount();
      head.focus();
      deliver();
    });
  }

  // ---- what the registrar sees ----
  async function showCount() {
    var n = (await queued()).length;
    counters.forEach(function (el) { el.textContent = String(n); });
  }

  function say(text, href) {
    var box = document.querySelector("[data-outbox-status]");
    if (!box) return;
    box.hidden = false;
    box.textContent = text + " ";
    if (href) {
      var a = document.createElement("a");
      a.href = href; a.textContent = T.open;
      box.appendChild(a);
    }
  }

  function start() {
    var box = document.querySelector("[data-outbox-status]");
    T = box ? box.dataset : T;
    wireForm();
    document.querySelectorAll("[data-outbox-send]").forEach(function (b) {
      b.hidden = false;
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
    showCount();
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

  start();
})();
