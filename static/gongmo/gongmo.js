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

/* Narrow screens (a phone, 200 % zoom: KRDS hides its main menu under 1024 px): the main menu
   folds behind the "Menu" button, a disclosure (aria-expanded); Escape closes it and gives the
   focus back to the button. Without this script the button stays hidden and the menu open. */
document.documentElement.classList.add("gongmo-js");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".gongmo-menu-toggle");
  var menu = document.getElementById("gongmo-menu");
  if (!button || !menu) return;
  button.hidden = false;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      set(false);
      button.focus();
    }
  });
});

/* After a failed submit the keyboard focus starts on the error summary (the title already says
   "Error:"); each of its links leads to the field. */
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("gongmo-error-summary");
  if (summary) summary.focus();
});

/* A KRDS table that does not fit (a phone, 200 % zoom) scrolls inside its wrapper: the wrapper
   then becomes a named region reachable with Tab, so a keyboard user can scroll it too. Named
   after the table's caption, or the heading before it. */
(function () {
  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var node = wrap.previousElementSibling;
    while (node && !/^H[1-6]$/.test(node.tagName)) node = node.previousElementSibling;
    if (node) return node.textContent.trim();
    var section = wrap.closest("section");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    return heading ? heading.textContent.trim() : document.title;
  }
  function mark() {
    document.querySelectorAll(".krds-table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("tabindex", "0");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", nameOf(wrap));
        wrap.dataset.gongmoScroll = "1";
      } else if (wrap.dataset.gongmoScroll) {
        wrap.removeAttribute("role");
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("aria-label");
        delete wrap.dataset.gongmoScroll;
      }
    });
  }
  window.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
})();

/* A long list of checkboxes (forms/field.html, config.krds.LongChoices): the search box shows
   only the options whose label holds what was typed (a group with none left is hidden), says
   how many are shown, and the box's summary counts what is chosen. Hidden options keep their
   state: the form sends every chosen one. Without this script the box lists every option. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-gongmo-choices]").forEach(function (box) {
    var search = box.querySelector("[data-gongmo-search]");
    var input = search && search.querySelector("input[type=search]");
    var found = box.querySelector("[data-gongmo-found]");
    var count = box.querySelector("[data-gongmo-count]");
    var options = Array.prototype.slice.call(box.querySelectorAll(".krds-form-check"));
    var countText = count ? count.textContent.trim().replace(/^\d+/, "") : "";
    if (!input) return;
    search.hidden = false;
    function normal(text) {
      return text.toLocaleLowerCase().replace(/\s+/g, " ").trim();
    }
    function filter() {
      var wanted = normal(input.value);
      var shown = 0;
      options.forEach(function (option) {
        var match = !wanted || normal(option.textContent).indexOf(wanted) !== -1;
        option.hidden = !match;
        if (match) shown += 1;
      });
      box.querySelectorAll(".gongmo-choice-group").forEach(function (group) {
        group.hidden = !group.querySelector(".krds-form-check:not([hidden])");
      });
      if (found) {
        found.textContent = wanted
          ? found.dataset.templateOne.replace("{shown}", shown).replace("{total}", options.length)
          : "";
      }
    }
    function recount() {
      if (count) count.textContent = box.querySelectorAll("input[type=checkbox]:checked").length + countText;
    }
    input.addEventListener("input", filter);
    /* Enter in the search box must not submit the whole form. */
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    box.addEventListener("change", recount);
  });
});

/* KRDS pins its header to the top once the page is scrolled (#wrap gets scroll-down or
   scroll-up) and the pinned part then leaves the flow: everything below would jump up by its
   height, under the reader's eyes and pointer, and back down at the top. The header keeps its
   place instead: its height is kept as a custom property (gongmo.css reserves it while pinned),
   measured again whenever it changes (fonts loaded, a narrower window, the menu opened). */
document.addEventListener("DOMContentLoaded", function () {
  var header = document.getElementById("krds-header");
  var pinned = header && header.querySelector(".header-in");
  if (!pinned) return;
  function keep() {
    header.style.setProperty("--gongmo-pinned-height", pinned.getBoundingClientRect().height + "px");
  }
  keep();
  if (window.ResizeObserver) new ResizeObserver(keep).observe(pinned);
  else window.addEventListener("resize", keep);
});
