// The status page reads fine without this: it only shows times in the visitor's own zone and
// prints a focused or hovered uptime bar's words under its row (the bars' <title> says the same).
(function () {
  "use strict";
  var dateTime, dayOnly;
  try {
    dateTime = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    // A day is a UTC day (the bars' and the history's): shown as such, in the visitor's words.
    dayOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  } catch (e) {
    return; // an old browser keeps UTC
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.title = el.textContent;
    el.textContent = el.hasAttribute("data-day") ? dayOnly.format(when) : dateTime.format(when);
  });
  document.querySelectorAll("svg.bars").forEach(function (svg) {
    var detail = svg.parentNode.querySelector(".bar-detail");
    if (!detail) return;
    function show(event) {
      var title = event.target.querySelector && event.target.querySelector("title");
      if (title) detail.textContent = title.textContent;
    }
    svg.addEventListener("focusin", show);
    svg.addEventListener("mouseover", show);
  });
})();
