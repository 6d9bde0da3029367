// What the console's pages do in the browser, kept out of the HTML: the
// Content-Security-Policy runs no inline script or handler, and htmx may not evaluate code
// (no hx-on, no [filters] in hx-trigger). Every page loads this file.
(function () {
  "use strict";

  // A secret shown once (a new API token, a webhook's signing secret): a click selects it all.
  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-select-on-click]");
    if (field) field.select();
  });

  // The live rollout page polls only while its tab is visible: a poll (or the
  // visibilitychange that brings the tab back) is dropped while the page is hidden.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "poller" && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  // A link that loads a panel elsewhere on the page (the stage card's "Devices") brings that
  // panel into view once it has loaded: data-scroll-after="#devices".
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var selector = elt && elt.getAttribute && elt.getAttribute("data-scroll-after");
    var target = selector && document.querySelector(selector);
    if (target && event.detail.successful) target.scrollIntoView({ behavior: "smooth" });
  });

  // The notification channel form shows only the fields of the chosen kind (without
  // JavaScript every fieldset shows).
  function channelForm() {
    var form = document.querySelector("[data-channel-form]");
    var kind = form && form.querySelector("select[name=kind]");
    if (!kind) return;
    function show() {
      form.querySelectorAll("fieldset[data-kind]").forEach(function (set) {
        set.hidden = set.getAttribute("data-kind") !== kind.value;
      });
    }
    kind.addEventListener("change", show);
    show();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", channelForm);
  } else {
    channelForm();
  }
})();
