// The field report form: keeps a draft on the phone as you type (the text
// in localStorage, a chosen photo or document in IndexedDB) and, with no
// connection, queues the report with its attachment in IndexedDB and sends
// it when the connection returns. A service worker (report-sw.js) keeps
// the form itself, so it opens with no connection after a first visit.
// Without this script the form is a plain POST.
//
// Stale sessions: a form opened from the service worker's cache carries the
// CSRF token of the session it was cached in. Before sending waiting
// reports the script fetches the form afresh and takes its token; if that
// lands on the sign-in page (the session expired or the user signed out),
// the reports stay on the phone and the page asks to sign in again. A
// report the server refuses (a wrong field, a refused attachment) goes back
// into the form with the server's reasons; only then does it leave the
// queue. Resending is safe: the server stores a client id once.
//
// The queue belongs to the phone, not to a user: reports waiting when one
// user signs out and another signs in go out under the second user's
// session (the reporter fields inside them are unchanged).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var status = document.getElementById("report-status");
  if (!form || !status || !window.localStorage || !window.fetch || !window.FormData) {
    return;
  }
  var DRAFT = "threshold.report.draft";
  var OLDQUEUE = "threshold.report.queue"; // text-only queue of earlier versions
  var MAX = 5 * 1024 * 1024; // fieldreport.MaxAttachment
  var skip = { csrf_token: true, client_id: true, attachment: true };
  var input = form.elements.attachment;
  var fileNote = document.getElementById("attachment-note");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/static/report-sw.js", { scope: "/report" }).catch(function () {});
  }

  function say(state, text, n) {
    status.dataset.state = state;
    status.textContent = text;
    if (n !== undefined) status.dataset.queued = String(n);
  }
  function note(text) {
    if (fileNote) fileNote.textContent = text;
  }

  // IndexedDB: store "queue" (reports waiting, keyed by client id, with
  // their attachment as a Blob) and store "draft" (the chosen attachment).
  var dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        if (!window.indexedDB) return reject(new Error("no IndexedDB"));
        var req = indexedDB.open("threshold-report", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("queue", { keyPath: "client_id" });
          req.result.createObjectStore("draft");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbp;
  }
  function tx(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var out = fn(t.objectStore(store));
        t.oncomplete = function () { resolve(out && out.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function queued() {
    return tx("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.queued_at - b.queued_at; });
    });
  }
  function enqueue(item) { return tx("queue", "readwrite", function (s) { s.put(item); }); }
  function dequeue(id) { return tx("queue", "readwrite", function (s) { s.delete(id); }); }
  function draftFile() { return tx("draft", "readonly", function (s) { return s.get("attachment"); }); }
  function keepDraftFile(f) {
    return tx("draft", "readwrite", function (s) {
      if (f) s.put({ name: f.name, type: f.type, blob: f }, "attachment");
      else s.delete("attachment");
    });
  }

  function load(key, def) {
    try {
      var v = JSON.parse(localStorage.getItem(key));
      return v === null ? def : v;
    } catch (e) {
      return def;
    }
  }
  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name]) return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out[el.name] = el.value;
    });
    return out;
  }
  function restore(d) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || !(el.name in d)) return;
      if (el.type === "radio") el.checked = el.value === d[el.name];
      else if (el.type === "checkbox") el.checked = true;
      else el.value = d[el.name];
    });
  }
  // restoreFile puts a kept attachment back into the file input, where the
  // browser allows it (DataTransfer), and names it.
  function restoreFile(a) {
    if (!a || !a.blob) return;
    try {
      var dt = new DataTransfer();
      dt.items.add(new File([a.blob], a.name, { type: a.type }));
      input.files = dt.files;
    } catch (e) { /* an older browser: the note still names it */ }
    note("Kept on this phone: " + a.name);
  }
  function token() {
    return form.elements.csrf_token.value;
  }
  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "web-" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // checkFile applies the server's limits before anything is kept or sent:
  // at most 5 MB, and a JPEG, PNG or PDF by its first bytes, whatever its
  // name says. It resolves to "" or the reason for refusing.
  function checkFile(f) {
    if (!f) return Promise.resolve("");
    if (f.size > MAX) return Promise.resolve(f.name + " is larger than 5 MB.");
    if (f.size === 0) return Promise.resolve(f.name + " is empty.");
    return new Promise(function (resolve) {
      var r = new FileReader();
      r.onload = function () {
        var b = new Uint8Array(r.result);
        var jpeg = b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
        var png = b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
        var pdf = b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d;
        resolve(jpeg || png || pdf ? "" : f.name + " is not a JPEG, PNG or PDF file.");
      };
      r.onerror = function () { resolve("The file could not be read."); };
      r.readAsArrayBuffer(f.slice(0, 8));
    });
  }

  // fresh fetches the form from the network for the session's current
  // CSRF token. It resolves true with the token updated, false when the
  // session is gone (the fetch lands on the sign-in page), and rejects when
  // the network fails.
  function fresh() {
    return fetch("/report", { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (!res.ok || new URL(res.url).pathname !== "/report") return false;
      return res.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var t = doc.querySelector('#report-form input[name="csrf_token"]');
        if (!t || !t.value) return false;
        form.elements.csrf_token.value = t.value;
        return true;
      });
    });
  }

  // send posts one report. It resolves "sent" when the server stored it
  // (or had it already), "signin" when the session is gone, "refused" with
  // the server's page when the server refused its content, "later" on a
  // server failure; it rejects when the network fails.
  function send(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) { body.append(k, item.fields[k]); });
    body.append("client_id", item.client_id);
    body.append("csrf_token", token());
    if (item.blob) body.append("attachment", item.blob, item.name);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token() }
    }).then(function (res) {
      var u = new URL(res.url);
      if (res.ok && u.pathname === "/report" && u.searchParams.get("sent")) return { outcome: "sent" };
      if (res.status === 401 || u.pathname === "/login") return { outcome: "signin" };
      if (res.status === 403) return { outcome: "forbidden" };
      if (res.status >= 400 && res.status < 500) {
        return res.text().then(function (html) { return { outcome: "refused", html: html }; });
      }
      return { outcome: "later" };
    });
  }

  // reasons reads the problems out of the server's form page.
  function reasons(html) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var out = [];
    doc.querySelectorAll(".problems, .field-error, main p").forEach(function (el) {
      var t = el.textContent.trim();
      if (t && out.indexOf(t) < 0 && out.length < 4) out.push(t);
    });
    return out.join(" ");
  }

  function waiting(n) {
    say("queued", "No connection: " + n + " report(s) kept on this phone, with their attachments; " +
      "they go out by themselves when the connection returns.", n);
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    var done = function () { flushing = false; };
    return queued().then(function (items) {
      if (!items.length) return done();
      say("sending", "Sending " + items.length + " waiting report(s)…", items.length);
      return fresh().then(function (ok) {
        if (!ok) {
          say("signin", "Sign in again to send the " + items.length + " report(s) waiting on this phone; they are kept until then.", items.length);
          return done();
        }
        return next(items, 0);
      }, function () {
        waiting(items.length);
        done();
      });
    }, function () { done(); });

    function next(items, i) {
      if (i >= items.length) {
        say("sent", "Report sent: thank you. It waits for an analyst to verify it.", 0);
        done();
        // Reports queued while these were sending go out now.
        return queued().then(function (rest) { if (rest.length) return flush(); });
      }
      var item = items[i];
      return send(item).then(function (r) {
        switch (r.outcome) {
        case "sent":
          return dequeue(item.client_id).then(function () { return next(items, i + 1); });
        case "refused":
          return dequeue(item.client_id).then(function () {
            restore(item.fields);
            restoreFile(item.blob ? item : null);
            say("refused", "The server refused a waiting report; it is back in the form: " + reasons(r.html), items.length - i - 1);
            done();
          });
        case "signin":
        case "forbidden":
          say("signin", "Sign in again (or reload the page) to send the " + (items.length - i) +
            " report(s) waiting on this phone; they are kept until then.", items.length - i);
          return done();
        default:
          waiting(items.length - i);
          return done();
        }
      }, function () {
        waiting(items.length - i);
        done();
      });
    }
  }

  function submitted(item) {
    return enqueue(item).then(function () {
      localStorage.removeItem(DRAFT);
      keepDraftFile(null).catch(function () {});
      form.reset();
      note("");
      if (!navigator.onLine) {
        return queued().then(function (q) { waiting(q.length); });
      }
      return flush();
    });
  }

  // Reports queued by an earlier version (text only) join the new queue.
  function migrate() {
    var old = load(OLDQUEUE, []);
    if (!old.length) return Promise.resolve();
    return Promise.all(old.map(function (x, i) {
      var f = {};
      Object.keys(x).forEach(function (k) { if (k !== "client_id") f[k] = x[k]; });
      return enqueue({ client_id: x.client_id || newID(), fields: f, queued_at: Date.now() + i });
    })).then(function () { localStorage.removeItem(OLDQUEUE); });
  }

  restore(load(DRAFT, {}));
  var ready = migrate().then(function () {
    return Promise.all([draftFile(), queued()]);
  }).then(function (r) {
    restoreFile(r[0]);
    if (r[1].length) waiting(r[1].length);
  }, function () {
    note("This browser cannot keep attachments offline: send them when connected.");
  });

  form.addEventListener("input", function () {
    localStorage.setItem(DRAFT, JSON.stringify(fields()));
  });
  input.addEventListener("change", function () {
    var f = input.files[0];
    checkFile(f).then(function (why) {
      if (why) {
        input.value = "";
        note(why);
        keepDraftFile(null).catch(function () {});
        return;
      }
      note(f ? "Kept on this phone: " + f.name : "");
      keepDraftFile(f).catch(function () {});
    });
  });
  form.addEventListener("submit", function (e) {
    if (!form.checkValidity()) return;
    e.preventDefault();
    var f = input.files[0];
    checkFile(f).then(function (why) {
      if (why) {
        note(why);
        say("refused", "The report was not sent: " + why);
        return;
      }
      var item = { client_id: newID(), fields: fields(), queued_at: Date.now() };
      if (f) {
        item.blob = f;
        item.name = f.name;
        item.type = f.type;
      }
      return submitted(item);
    }).catch(function () {
      // No IndexedDB (a private window): send the plain form.
      form.submit();
    });
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    queued().then(function (q) { if (q.length) waiting(q.length); }).catch(function () {});
  });
  ready.then(flush);
})();
