/* The export job page while its workbook is being built (templates/audit/job.html): every few
   seconds read the page again and put the new state in place, part by part, only where it
   changed: the status sentence is a polite live region, the focus is never moved. Stops once the
   job is done or failed (the page then no longer asks to be polled). */
(function () {
  var PARTS = ["gongmo-job-status", "gongmo-job-progress", "gongmo-job-result"];
  function poll() {
    var job = document.getElementById("gongmo-job");
    if (!job || !job.dataset.gongmoPoll) return;
    var every = Number(job.dataset.gongmoPoll) || 2000;
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("gongmo-job");
          if (!fresh) return;
          PARTS.forEach(function (id) {
            var now = document.getElementById(id);
            var next = fresh.querySelector("#" + id);
            if (now && next && now.innerHTML.trim() !== next.innerHTML.trim()) now.innerHTML = next.innerHTML;
          });
          if (!fresh.dataset.gongmoPoll) delete job.dataset.gongmoPoll;
          poll();
        })
        .catch(function () {
          window.setTimeout(poll, every); /* a lost answer: try again, the refresh link stays */
        });
    }, every);
  }
  document.addEventListener("DOMContentLoaded", poll);
})();
