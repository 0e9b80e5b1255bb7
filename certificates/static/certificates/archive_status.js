// Poll the JSON twin of this page and update the progress bar and the live region in place.
(function () {
  var box = document.getElementById("archive-status");
  var bar = document.getElementById("archive-progress");
  var message = document.getElementById("archive-message");
  var download = document.getElementById("archive-download");
  var link = document.getElementById("archive-download-link");
  var refresh = document.getElementById("archive-refresh");
  var lastText = message.textContent.trim();
  function say(text) { if (text !== lastText) { message.textContent = text; lastText = text; } }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        bar.max = s.total || 1; bar.value = s.progress; bar.textContent = s.percent + "%";
        if (s.status === "ready") {
          say("Your zip is ready: " + s.total + " certificate" + (s.total === 1 ? "" : "s") + ".");
          link.href = s.download_url; download.hidden = false; refresh.hidden = true;
        } else if (s.status === "failed") {
          say(s.error); refresh.hidden = true;
        } else {
          say(s.total ? "Prepared " + s.progress + " of " + s.total + " certificates." : "Waiting to start.");
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  refresh.hidden = true;
  window.setTimeout(poll, 1000);
})();
