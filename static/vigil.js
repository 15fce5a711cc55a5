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
    // Filters apply as soon as they change.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });

    // Lists that refresh themselves without a full reload (incident list).
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      var seconds = parseInt(el.dataset.refreshSeconds || "15", 10);
      setInterval(function () {
        if (document.hidden) return;
        fetch(el.dataset.refresh, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html !== null) el.innerHTML = html; })
          .catch(function () { /* offline for a moment: try again next time */ });
      }, seconds * 1000);
    });

    // Elapsed time that keeps counting on an open incident.
    var elapsed = document.querySelectorAll("[data-elapsed-since]");
    if (elapsed.length) {
      var tick = function () {
        elapsed.forEach(function (el) {
          var s = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.elapsedSince)) / 1000));
          var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
          el.textContent = (h ? h + " h " : "") + m + " min";
        });
      };
      tick(); setInterval(tick, 30000);
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
