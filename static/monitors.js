// The monitor pages' script (monitoring/templates/monitoring): every part works without it, and
// each is only made quicker here.
// - A field the browser refuses inside a folded section opens that section and is scrolled to.
// - Text longer than the server takes (data-maxlength) is refused before sending, with a message,
//   instead of being cut by a maxlength attribute without a word.
// - Header rows: add and remove rows of the form's formset.
// - Test and Test now: the probe's result shown in place (the server answers a fragment).
// - Kind tabs carry the name, target and interval typed so far to the other kind's form.
(function () {
  "use strict";

  // --- Errors inside folded sections -------------------------------------------------------------
  var firstInvalid = null;
  document.addEventListener("invalid", function (event) {
    var details = event.target.closest && event.target.closest("details");
    if (details && !details.open) details.open = true;
    if (!firstInvalid) {
      firstInvalid = event.target;
      setTimeout(function () {
        if (firstInvalid) firstInvalid.scrollIntoView({ block: "center" });
        firstInvalid = null;
      }, 0);
    }
  }, true);

  // --- Text limits ---------------------------------------------------------------------------------
  function checkLength(input) {
    var limit = parseInt(input.dataset.maxlength, 10);
    var length = input.value.length;
    input.setCustomValidity(length > limit
      ? "At most " + limit + " characters, please (this has " + length + "): nothing is cut for you."
      : "");
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-maxlength]")) checkLength(event.target);
  });

  // --- Header rows ------------------------------------------------------------------------------
  function setUpRows(box) {
    var total = box.querySelector("input[name$='-TOTAL_FORMS']");
    var rows = box.querySelector("[data-rows]");
    var template = box.querySelector("template[data-row-template]");
    var add = box.querySelector("[data-add-row]");
    if (!total || !rows || !template || !add) return;
    var max = parseInt((box.querySelector("input[name$='-MAX_NUM_FORMS']") || {}).value || "50", 10);
    box.querySelectorAll("[data-remove-row], [data-add-row]").forEach(function (b) { b.hidden = false; });
    add.addEventListener("click", function () {
      var n = parseInt(total.value, 10);
      if (n >= max) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(n));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(n + 1);
      var inputs = rows.lastElementChild.querySelectorAll("input");
      if (inputs.length) inputs[0].focus();
    });
    // Removing a row empties it (an empty row is no header), so the formset's numbering stays whole.
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) return;
      var row = button.closest(".header-row");
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      row.hidden = true;
    });
  }

  // --- Test results in place ---------------------------------------------------------------------
  var lastResult = null;
  function showResult(html) {
    lastResult = html;
    document.querySelectorAll("[data-test-result]").forEach(function (slot) {
      slot.innerHTML = html;
      var panel = slot.firstElementChild;
      if (panel) panel.scrollIntoView({ block: "nearest" });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var isTest = (submitter && submitter.hasAttribute("data-test-button")) || form.hasAttribute("data-test-form");
    if (!isTest || form.dataset.plain === "1") return;
    event.preventDefault();
    var url = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    showResult('<p class="muted" data-testid="test-running" role="status">Testing…</p>');
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.headers.get("X-Vigil-Fragment") === "test-result") {
        return response.text().then(showResult);
      }
      // The settings need correcting: send the form as the page would, to see the errors beside their fields.
      form.dataset.plain = "1";
      buttons.forEach(function (b) { b.disabled = false; });
      form.requestSubmit(submitter || undefined);
    }).catch(function () {
      showResult('<p class="msg error" data-testid="test-result" role="alert">The test could not be run: the server did not answer. Try again.</p>');
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    // A refused post: its first error is focused and in view. The server marks it with autofocus,
    // which a browser honours only once a page (another form's autofocus may come first).
    var first = document.querySelector("form [autofocus][aria-invalid='true'], form [aria-invalid='true']");
    if (first) {
      var folded = first.closest("details");
      if (folded) folded.open = true;
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: "center" });
    }
    document.querySelectorAll("[data-maxlength]").forEach(checkLength);
    document.querySelectorAll("[data-header-rows]").forEach(setUpRows);

    // A live part of the page (vigil.js) was redrawn: put the last test result back.
    var shown = document.querySelector("[data-test-result]");
    if (shown && shown.innerHTML.trim()) lastResult = shown.innerHTML;
    document.addEventListener("vigil:live", function () {
      if (lastResult === null) return;
      document.querySelectorAll("[data-test-result]").forEach(function (slot) {
        if (!slot.innerHTML.trim()) slot.innerHTML = lastResult;
      });
    });

    // Kind tabs: the next kind's form starts with what was typed here.
    document.querySelectorAll("a[data-kind-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        var form = tab.closest("form");
        if (!form) return;
        var url = new URL(tab.href);
        ["name", "target", "interval_seconds"].forEach(function (name) {
          var input = form.elements[name];
          if (input && input.value) url.searchParams.set(name, input.value);
        });
        tab.href = url.toString();
      });
    });
  });
})();
