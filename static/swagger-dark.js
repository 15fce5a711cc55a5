// The API docs in dark mode (issue #15). Swagger UI carries its own dark theme (the html.dark-mode rules
// of its swagger-ui.css), but the layout drf-spectacular uses has no switch for it: this turns it on
// while the browser asks for dark, and off again when it stops. Loaded in <head>, so no light flash.
(function () {
  "use strict";
  if (!window.matchMedia) return;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var apply = function () { document.documentElement.classList.toggle("dark-mode", dark.matches); };
  apply();
  if (dark.addEventListener) dark.addEventListener("change", apply);
})();
