// Enhancements only: every page works without this file.
"use strict";

// Forms marked data-autosubmit apply a choice made with the pointer at
// once, so the map follows its controls without a press of the button.
// Choices made from the keyboard wait for the button: arrow keys move
// through a radio group by selecting each option in turn, and reloading
// the page at every step would throw the user back to its top.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  var pointerAt = 0;
  form.addEventListener("pointerdown", function () { pointerAt = Date.now(); });
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.type === "date") {
      // Picking a day means ending the window on it.
      var on = form.querySelector('input[name="end"][value="date"]');
      if (on && t.value) { on.checked = true; }
      return;
    }
    if (t.type === "radio" && Date.now() - pointerAt < 1500) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
});

// The sign-in page (reached by signing out, or with an expired session):
// the field report form's offline copy (report-sw.js keeps it in the
// cache named there), which carries the last user's name and CSRF token,
// is dropped. Reports waiting on the phone (IndexedDB) are kept; the form
// is cached again at the next signed-in visit.
if (location.pathname === "/login" && "caches" in window) {
  caches.delete("threshold-report-v1");
}
