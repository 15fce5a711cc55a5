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
        // On a phone the opened menu lists every page: the "More" group opens with it.
        nav.querySelectorAll("details.nav-more").forEach(function (more) { more.open = open; });
      });
    }
    // The "More" menu (a <details>, so it works without this) closes on a click elsewhere or Escape.
    var more = document.querySelector("details.nav-more");
    if (more) {
      document.addEventListener("click", function (event) {
        if (more.open && !more.contains(event.target) && !(nav && nav.classList.contains("open"))) more.open = false;
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && more.open) { more.open = false; more.querySelector("summary").focus(); }
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
      var poll = function () {
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
      };
      setInterval(poll, seconds * 1000);
      if (el.hasAttribute("data-live-now")) poll();  // a part the server left for the script to fill
    });

    // "1 h 5 min" (comms/panel.py's span() writes the same on the server).
    var span = function (s) {
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      return (h ? h + " h " : "") + m + " min";
    };

    // Elapsed time that keeps counting on an open incident.
    // Looked up at every tick: a live part swapped in brings new ones (vigil:live).
    var tick = function () {
      document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
        el.textContent = span(Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.elapsedSince)) / 1000)));
      });
    };
    tick(); setInterval(tick, 30000); document.addEventListener("vigil:live", tick);

    // A countdown to a due time that turns into "overdue by" once it passes (the update cadence).
    var countdown = function () {
      document.querySelectorAll("[data-due-at]").forEach(function (el) {
        var s = Math.floor((Date.parse(el.dataset.dueAt) - Date.now()) / 1000);
        var label = el.querySelector("[data-due-label]"), time = el.querySelector("time");
        if (label) label.textContent = s > 0 ? el.dataset.dueText : el.dataset.overdueText;
        if (time) time.textContent = span(Math.abs(s));
        el.classList.toggle("error", s <= 0);
      });
    };
    countdown(); setInterval(countdown, 30000); document.addEventListener("vigil:live", countdown);

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

// --- Incident forms (#15, the incident page's part) ------------------------------------------------
// A refused form opens where its error is; a link to a folded section opens it; previews follow the
// typing (who would be paged, who an update notifies); a paste too long for its field is refused with
// a message instead of being cut silently by the browser's maxlength.
(function () {
  "use strict";

  var openAround = function (el) {
    for (var p = el; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
  };

  var openTarget = function (id) {
    var target = id && document.getElementById(id);
    if (!target) return null;
    openAround(target);
    return target;
  };

  document.addEventListener("DOMContentLoaded", function () {
    // The first error on the page: its section opened, scrolled to, its field focused.
    var error = document.querySelector("main .errorlist, main [aria-invalid=true]");
    if (error) {
      openAround(error);
      var field = error.matches("[aria-invalid=true]") ? error
        : (error.closest(".form-field, p, fieldset, form") || error).querySelector("[aria-invalid=true], input:not([type=hidden]), textarea, select");
      (field || error).scrollIntoView({ block: "center" });
      if (field) field.focus({ preventScroll: true });
    } else if (location.hash) {
      openTarget(location.hash.slice(1));
    }

    // Links that lead to a folded section (the header's Update, Severity and status, ...) open it.
    document.addEventListener("click", function (event) {
      var link = event.target.closest("[data-open]");
      if (!link) return;
      var target = openTarget(link.dataset.open);
      if (!target) return;
      event.preventDefault();
      history.replaceState(null, "", "#" + link.dataset.open);
      target.scrollIntoView({ block: "start" });
      var first = target.querySelector("textarea, input:not([type=hidden]), select");
      if (first) first.focus({ preventScroll: true });
    });

    // Previews: a form marked data-preview="<url>" posts what is typed there (nothing is saved)
    // and shows the answer in its [data-preview-target].
    document.querySelectorAll("form[data-preview]").forEach(function (form) {
      var target = form.querySelector("[data-preview-target]");
      if (!target) return;
      var timer = null, asked = 0;
      var refresh = function () {
        var mine = ++asked;
        fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                      headers: { "X-Requested-With": "fetch" } })
          .then(function (r) { return r.status === 200 ? r.text() : null; })
          .then(function (html) { if (html !== null && mine === asked) target.innerHTML = html; })
          .catch(function () { /* the preview waits for the next change */ });
      };
      var later = function () { clearTimeout(timer); timer = setTimeout(refresh, 300); };
      form.addEventListener("input", later);
      form.addEventListener("change", later);
    });

    // Over-long text: said, never cut. The browser's maxlength cuts a paste silently; here a paste
    // that does not fit is refused with a message beside the field, and reaching the limit is said.
    var say = function (field, text) {
      var note = field.parentElement.querySelector(".limit-note");
      if (!note) {
        note = document.createElement("span");
        note.className = "limit-note errorlist";
        note.setAttribute("role", "alert");
        field.insertAdjacentElement("afterend", note);
      }
      note.textContent = text;
      note.hidden = !text;
    };
    document.addEventListener("paste", function (event) {
      var field = event.target;
      if (!field.matches || !field.matches("input[maxlength], textarea[maxlength]")) return;
      var max = field.maxLength, pasted = (event.clipboardData || window.clipboardData).getData("text");
      var kept = field.value.length - Math.abs((field.selectionEnd || 0) - (field.selectionStart || 0));
      if (kept + pasted.length > max) {
        event.preventDefault();
        say(field, "Too long: that text has " + pasted.length + " characters and this field holds " + max +
            ". Nothing was pasted: shorten it first.");
      }
    });
    document.addEventListener("input", function (event) {
      var field = event.target;
      if (!field.matches || !field.matches("input[maxlength], textarea[maxlength]")) return;
      say(field, field.value.length >= field.maxLength ? "This field holds " + field.maxLength + " characters at most." : "");
    });
  });
})();

// --- Keyboard access to what scrolls sideways (#15, the accessibility scan) ------------------------
// A wide table, chart or command on a phone scrolls inside its box; a keyboard can scroll it only when
// it can take focus (WCAG 2.1.1, axe's scrollable-region-focusable). Each such box takes focus while,
// and only while, it overflows: a table that fits adds no tab stop. Checked again when the window
// changes size and when a live part is swapped in.
(function () {
  "use strict";
  var SCROLLERS = ".table-wrap, .report-chart, pre";
  var mark = function () {
    document.querySelectorAll(SCROLLERS).forEach(function (el) {
      var wide = el.scrollWidth > el.clientWidth + 1;
      if (wide && !el.hasAttribute("tabindex")) {
        el.tabIndex = 0;
        el.dataset.scrollFocus = "";
      } else if (!wide && el.hasAttribute("data-scroll-focus")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroll-focus");
      }
    });
  };
  var timer = null;
  document.addEventListener("DOMContentLoaded", mark);
  document.addEventListener("vigil:live", mark);
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(mark, 150); });
})();
