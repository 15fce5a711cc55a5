// The API docs (templates/drf_spectacular/swagger_ui.html): Swagger UI draws each operation's header as a
// <button> with a link inside (its "deep link" to the path, swagger-api/swagger-ui#9570, still open), and a
// link inside a button is one control inside another for a screen reader or a keyboard (axe's
// nested-interactive). That link never navigates (Swagger UI cancels its clicks; the button opens the
// operation and sets the address), so it loses its href here and is plain text, as Swagger UI itself
// draws it when deep linking is off. Operations are drawn after load, and again as tags open: watched.
(function () {
  "use strict";
  var unlink = function () {
    document.querySelectorAll(".opblock-summary-control a[href]").forEach(function (a) {
      a.removeAttribute("href");
    });
  };
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    if (!root || !window.MutationObserver) return;
    new MutationObserver(unlink).observe(root, { childList: true, subtree: true });
    unlink();
  });
})();
