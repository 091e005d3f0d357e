// The field report form: keeps a draft on the phone as you type and, with
// no connection, queues the report and sends it when the connection
// returns. Without this script the form is a plain POST.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var status = document.getElementById("report-status");
  if (!form || !status || !window.localStorage || !window.fetch || !window.FormData) {
    return;
  }
  var DRAFT = "threshold.report.draft";
  var QUEUE = "threshold.report.queue";
  var skip = { csrf_token: true, client_id: true, attachment: true };

  function say(state, text) {
    status.dataset.state = state;
    status.textContent = text;
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
  function token() {
    return form.elements.csrf_token.value;
  }
  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "web-" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // send posts one report; it resolves true when the server took it,
  // false when it refused it, and rejects when the network failed.
  function send(item, file) {
    var body = new FormData();
    Object.keys(item).forEach(function (k) { body.append(k, item[k]); });
    body.append("csrf_token", token());
    if (file) body.append("attachment", file);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token() }
    }).then(function (res) { return res.ok; });
  }

  function queue(item) {
    var q = load(QUEUE, []);
    q.push(item);
    localStorage.setItem(QUEUE, JSON.stringify(q));
    say("queued", "No connection: the report is kept on this phone (" + q.length +
      " waiting) and goes out by itself when the connection returns.");
  }

  var flushing = false;
  function flush() {
    var q = load(QUEUE, []);
    if (flushing || !q.length || !navigator.onLine) return;
    flushing = true;
    say("sending", "Sending " + q.length + " waiting report(s)…");
    var item = q[0];
    send(item).then(function (ok) {
      var rest = load(QUEUE, []).filter(function (x) { return x.client_id !== item.client_id; });
      localStorage.setItem(QUEUE, JSON.stringify(rest));
      flushing = false;
      if (!ok) {
        say("refused", "The server refused a waiting report; it was dropped. Please send it again.");
        restore(item);
        return;
      }
      if (rest.length) flush();
      else say("sent", "Report sent: thank you. It waits for an analyst to verify it.");
    }, function () {
      flushing = false;
      say("queued", "Still no connection: " + q.length + " report(s) waiting on this phone.");
    });
  }

  restore(load(DRAFT, {}));
  form.addEventListener("input", function () {
    localStorage.setItem(DRAFT, JSON.stringify(fields()));
  });
  form.addEventListener("submit", function (e) {
    if (!form.checkValidity()) return;
    e.preventDefault();
    var item = fields();
    item.client_id = newID();
    var file = form.elements.attachment.files[0];
    localStorage.removeItem(DRAFT);
    if (!navigator.onLine) {
      queue(item);
      form.reset();
      return;
    }
    send(item, file).then(function (ok) {
      if (ok) {
        form.reset();
        say("sent", "Report sent: thank you. It waits for an analyst to verify it.");
      } else {
        localStorage.setItem(DRAFT, JSON.stringify(item));
        form.submit(); // the server's page names the fields to correct
      }
    }, function () {
      queue(item);
      form.reset();
    });
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    if (load(QUEUE, []).length) say("queued", "No connection: waiting reports go out when it returns.");
  });
  flush();
})();
