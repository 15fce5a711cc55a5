// Vigil's own small script: phone menu, light/dark switch, and the viewer's time zone.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = localStorage.getItem("vigil-scheme");
  if (saved) root.dataset.scheme = saved;

  // Times are stored in UTC and shown in the viewer's zone: tell the server which.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + tz) === -1) {
      document.cookie = "tz=" + tz + ";path=/;max-age=31536000;samesite=lax";
    }
  } catch (e) { /* an old browser shows UTC */ }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var scheme = document.querySelector(".scheme-toggle");
    if (scheme) {
      scheme.addEventListener("click", function () {
        var dark = root.dataset.scheme ? root.dataset.scheme === "dark"
          : window.matchMedia("(prefers-color-scheme: dark)").matches;
        root.dataset.scheme = dark ? "light" : "dark";
        localStorage.setItem("vigil-scheme", root.dataset.scheme);
      });
    }
  });
})();
