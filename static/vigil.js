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

    // Parts of a page that keep themselves current (vigil/live.py): each element marked
    // data-live="<url>" asks its URL again every few seconds with the ETag of what it shows; the
    // server answers 304 while nothing changed, or the new fragment, swapped in place.
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var seconds = parseFloat(el.dataset.liveSeconds || "3");
      var tag = el.dataset.liveEtag || "";
      var busy = false;
      setInterval(function () {
        if (document.hidden || busy) return;
        // Leave a part alone while someone types in it.
        if (el.contains(document.activeElement) && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
        busy = true;
        var headers = { "X-Requested-With": "fetch" };
        if (tag) headers["If-None-Match"] = tag;
        fetch(el.dataset.live, { credentials: "same-origin", cache: "no-store", headers: headers })
          .then(function (r) {
            if (r.status !== 200) return null;
            tag = r.headers.get("ETag") || "";
            return r.text();
          })
          .then(function (html) {
            if (html === null) return;
            el.innerHTML = html;
            el.dispatchEvent(new CustomEvent("vigil:live", { bubbles: true }));
          })
          .catch(function () { /* offline for a moment: try again next time */ })
          .then(function () { busy = false; });
      }, seconds * 1000);
    });

    // "1 h 5 min" (comms/panel.py's span() writes the same on the server).
    var span = function (s) {
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      return (h ? h + " h " : "") + m + " min";
    };

    // Elapsed time that keeps counting on an open incident.
    var elapsed = document.querySelectorAll("[data-elapsed-since]");
    if (elapsed.length) {
      var tick = function () {
        elapsed.forEach(function (el) {
          el.textContent = span(Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.elapsedSince)) / 1000)));
        });
      };
      tick(); setInterval(tick, 30000);
    }

    // A countdown to a due time that turns into "overdue by" once it passes (the update cadence).
    var due = document.querySelectorAll("[data-due-at]");
    if (due.length) {
      var countdown = function () {
        due.forEach(function (el) {
          var s = Math.floor((Date.parse(el.dataset.dueAt) - Date.now()) / 1000);
          var label = el.querySelector("[data-due-label]"), time = el.querySelector("time");
          if (label) label.textContent = s > 0 ? el.dataset.dueText : el.dataset.overdueText;
          if (time) time.textContent = span(Math.abs(s));
          el.classList.toggle("error", s <= 0);
        });
      };
      countdown(); setInterval(countdown, 30000);
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
