// Dashboard: fetch the figures block again every few seconds and swap it in (no library).
(function () {
  var box = document.getElementById("figures");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-refresh-url");
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) { box.innerHTML = html; box.setAttribute("data-refreshed", Date.now()); } })
      .catch(function () { /* offline for a moment: keep the last figures */ });
  }
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", refresh);
})();
