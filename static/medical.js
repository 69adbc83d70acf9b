// Medical queue: refresh the list every few seconds without reloading the page.
// Without JavaScript the page is still correct; it just needs a manual reload.
(function () {
  "use strict";
  var box = document.querySelector("[data-queue]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-fragment-url");
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 15;
  var stamp = document.querySelector("[data-queue-updated]");

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) return null; // logged out or offline
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        box.innerHTML = html;
        if (stamp) stamp.textContent = new Date().toLocaleTimeString();
      })
      .catch(function () { /* station unreachable: keep the last list */ });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
})();
