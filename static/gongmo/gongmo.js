/* Small touches on top of KRDS, no dependencies: the KRDS file upload area shows the chosen
   file's name and accepts a dropped file. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".file-upload").forEach(function (area) {
    var input = area.querySelector('input[type="file"]');
    var text = area.querySelector(".txt");
    if (!input || !text) return;
    function show() {
      text.textContent = input.files.length ? input.files[0].name : text.dataset.empty;
    }
    input.addEventListener("change", show);
    area.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  });
});

/* KRDS opens the help panel on wide screens once the page is ready (its handler on window's
   DOMContentLoaded, registered before this one). A page whose content needs the full width
   (a wide table) marks its panel data-gongmo-folded: it starts folded, the Help button opens it.
   Folded by hand rather than through KRDS's close, which would move the keyboard focus. */
window.addEventListener("DOMContentLoaded", function () {
  var panel = document.querySelector(".krds-help-panel[data-gongmo-folded]");
  if (!panel) return;
  panel.classList.remove("expand");
  var wrap = panel.querySelector(".help-panel-wrap");
  if (wrap) wrap.removeAttribute("tabindex");
  document.querySelectorAll(".btn-help-exec").forEach(function (button) {
    button.setAttribute("aria-expanded", "false");
  });
  var inner = document.querySelector("#container > .inner");
  if (inner) inner.classList.remove("help-panel-expanded");
});

/* A "Print" button (data-gongmo-print) prints the page; no inline handlers: the
   Content-Security-Policy allows scripts from this site's files only. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-gongmo-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
