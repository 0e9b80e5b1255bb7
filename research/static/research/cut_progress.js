// Poll the cut's JSON twin and update the progress bar and the live region in place; reload once ready.
(function () {
  var box = document.getElementById("cut-status");
  var bar = document.getElementById("cut-progress");
  var message = document.getElementById("cut-message");
  var refresh = document.getElementById("cut-refresh");
  var lastText = message.textContent.trim();
  function say(text) { if (text !== lastText) { message.textContent = text; lastText = text; } }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        bar.max = s.rows_total || 1; bar.value = s.rows_written; bar.textContent = s.percent + "%";
        say(s.message);
        if (s.status === "ready") {
          // The download form and the checksums are rendered by the server: show them.
          window.location.reload();
        } else if (s.status === "failed") {
          refresh.hidden = true;
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  refresh.hidden = true;
  window.setTimeout(poll, 500);
})();
