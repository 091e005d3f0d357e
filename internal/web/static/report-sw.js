// The service worker of the field report form, registered by report.js
// with scope /report (served with Service-Worker-Allowed: /report). It
// keeps the form's page shell and the static files it links to, so that a
// phone that opened the form once opens it again with no connection; the
// draft and the waiting reports live in the page's own storage.
//
// What it caches, and nothing else: the page /report (without a query) as
// the network last gave it to a signed-in user, and the versioned static
// files (/static/NAME?v=HASH) that page links to. The form is fetched from
// the network first, so a fresh CSRF token replaces the cached one whenever
// there is a connection; the cache answers only when the network fails. A
// fetch of the form that lands elsewhere (the sign-in page: the session
// expired or the user signed out) deletes the cached shell. Every other
// request, including every other page of the dashboard, goes to the
// network untouched.
"use strict";

var CACHE = "threshold-report-v1";
var SHELL = "/report";

// assetsOf lists the versioned static files a page links to.
function assetsOf(html) {
  var seen = {};
  (html.match(/\/static\/[A-Za-z0-9._-]+\?v=[0-9a-f]+/g) || []).forEach(function (u) {
    if (u.indexOf("/static/report-sw.js") !== 0) seen[u] = true;
  });
  return Object.keys(seen);
}

// isShell reports whether a response is the form itself, as a signed-in
// user gets it.
function isShell(res) {
  return res && res.ok && res.type === "basic" && new URL(res.url).pathname === SHELL;
}

// keep stores the form's shell and its static files, and drops the static
// files of older versions.
function keep(res) {
  return res.clone().text().then(function (html) {
    var assets = assetsOf(html);
    return caches.open(CACHE).then(function (c) {
      return c.put(SHELL, res).then(function () {
        return c.keys();
      }).then(function (keys) {
        var want = {};
        assets.forEach(function (a) { want[new URL(a, self.location.origin).href] = true; });
        return Promise.all(keys.filter(function (k) {
          return new URL(k.url).pathname.indexOf("/static/") === 0 && !want[k.url];
        }).map(function (k) { return c.delete(k); })).then(function () {
          return Promise.all(assets.map(function (a) {
            return c.match(a).then(function (hit) { return hit || c.add(a); });
          }));
        });
      });
    });
  });
}

function forget() {
  return caches.open(CACHE).then(function (c) { return c.delete(SHELL); });
}

self.addEventListener("install", function (e) {
  e.waitUntil(fetch(SHELL, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
    return isShell(res) ? keep(res) : null;
  }).catch(function () {}).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("threshold-report-") === 0 && n !== CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname === SHELL) {
    e.respondWith(fetch(req).then(function (res) {
      if (isShell(res)) {
        if (url.search === "") e.waitUntil(keep(res.clone()));
      } else if (res.redirected || res.status === 401 || res.status === 403) {
        e.waitUntil(forget());
      }
      return res;
    }, function () {
      return caches.match(SHELL).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req);
    }));
  }
});
