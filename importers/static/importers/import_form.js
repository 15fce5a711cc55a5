// The import page: show only the fields of the chosen source (each row lists its sources in
// data-sources). Without this script every field shows; the server still says which one is missing.
(function () {
  function update(select) {
    document.querySelectorAll(".import-field").forEach(function (row) {
      var sources = row.getAttribute("data-sources").split(" ");
      row.hidden = sources.indexOf(select.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("#import-form select[name=source]");
    if (!select) return;
    select.addEventListener("change", function () { update(select); });
    update(select);
  });
})();
