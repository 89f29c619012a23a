// A run in the background: ask for its progress every two seconds and show it; reload the
// page when it has ended (its results, or why it failed). No inline script (CSP).
(function () {
  "use strict";
  var bar = document.getElementById("run-progress");
  if (!bar) { return; }
  var text = document.getElementById("run-progress-text");
  var status = document.getElementById("run-status");
  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.total) { bar.max = d.total; bar.value = d.done; }
        text.textContent = d.done + " / " + d.total;
        status.textContent = d.status_label;
        if (d.status === "done" || d.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
