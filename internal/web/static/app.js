// Enhancements only: every page works without this file.
"use strict";

// Forms marked data-autosubmit apply a choice as soon as it is made, so
// the map follows the window and measure controls without a button press.
// The button stays for keyboard users who move through the radios.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  form.addEventListener("change", function (e) {
    if (e.target.type === "radio") {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
});
