// Service worker: keeps the registrar's app shell so /register opens with no connection, and
// the scan page of each vehicle the tablet opened (codes only, no names) for its door.
// Served by the station at /sw.js with its version filled in; a new version installs a new
// cache and deletes the old ones. Pages: network first (fresh CSRF token and name lists),
// the cached copy when the station cannot be reached. Static files: cache first. The API is
// never cached: queued records live in the page's IndexedDB outbox, not here.
"use strict";
var VERSION = "__VERSION__";
var CACHE = "fieldreg-" + VERSION;
var SHELL_PAGE = "/register";
var STATIC = ["/static/app.css", "/static/register.js", "/static/outbox.js", "/static/header.js",
  "/static/formcheck.js", "/static/favicon.svg", "/static/boarding.js", "/static/validity.js"];
var SCAN_PAGE = /^\/convoys\/vehicles\/[^/]+\/scan$/;
var NETWORK_WAIT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    var urls = STATIC.concat([SHELL_PAGE]);
    return Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.ok && !r.redirected) return cache.put(url, r);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("fieldreg-") === 0 && k !== CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); },
                 function (e) { clearTimeout(timer); reject(e); });
  });
}

function page(request, url) {
  var path = url.pathname, key = SCAN_PAGE.test(path) ? path + url.search : path;
  return withTimeout(fetch(request), NETWORK_WAIT_MS).then(function (response) {
    if ((path === SHELL_PAGE || SCAN_PAGE.test(path)) && response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    // Any fieldreg cache will do: a page still run by the previous worker must open too.
    return caches.match(key).then(function (hit) { return hit || caches.match(SHELL_PAGE); })
      .then(function (hit) { return hit || Response.error(); });
  });
}

function asset(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (hit) {
      return hit || fetch(request).catch(function () {
        return caches.match(request, { ignoreSearch: true });
      }).then(function (response) {
        if (response && response.ok) cache.put(request, response.clone());
        return response || Response.error();
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0) return;
  if (request.mode === "navigate") event.respondWith(page(request, url));
  else if (url.pathname.indexOf("/static/") === 0) event.respondWith(asset(request));
});
