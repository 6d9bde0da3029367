// Swagger UI (templates/drf_spectacular/swagger_ui.html) renders its servers menu without a
// name: give it one once it appears. A file, not inline: the Content-Security-Policy.
(function () {
  "use strict";
  function name() {
    var servers = document.getElementById("servers");
    if (servers && !servers.hasAttribute("aria-label")) servers.setAttribute("aria-label", "Server");
  }
  new MutationObserver(name).observe(document.documentElement, { childList: true, subtree: true });
})();
