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
