/* The admin's export page (templates/admin/import_export/export.html): "Select all" toggles every
   field, bound here rather than by an inline handler the Content-Security-Policy refuses. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".select-toggle").forEach(function (toggle) {
    if (typeof onSelectToggleChange === "function") {
      toggle.addEventListener("change", onSelectToggleChange);
    }
  });
});
