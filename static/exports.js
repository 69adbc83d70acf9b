// Exports page: each download gets a fresh token; while the file streams, ask the station how
// many rows it has written and show a progress bar (the download itself is the browser's).
(function () {
  var box = document.getElementById("export-progress");
  if (!box || !window.fetch || !window.crypto || !crypto.getRandomValues) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-text]");
  var rows = box.querySelector("[data-rows]").textContent;
  var finished = box.querySelector("[data-finished]").textContent;
  var preparing = text.textContent;
  var timer = null;

  function token() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function grouped(n) { return Number(n).toLocaleString(document.documentElement.lang || undefined); }

  function poll(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || state.total === null) return;
        bar.max = Math.max(state.total, 1);
        bar.value = state.done;
        text.textContent = state.finished
          ? finished.replace("%2", grouped(state.total))
          : rows.replace("%1", grouped(state.done)).replace("%2", grouped(state.total));
        if (state.finished) { clearInterval(timer); timer = null; }
      })
      .catch(function () { /* a missed poll: the next one catches up */ });
  }

  document.addEventListener("submit", function (event) {
    var field = event.target.querySelector("input[name=progress]");
    if (!field) return;
    field.value = token();
    box.hidden = false;
    bar.removeAttribute("value");
    text.textContent = preparing;
    var url = box.getAttribute("data-url").replace("TOKEN", field.value);
    if (timer) clearInterval(timer);
    timer = setInterval(function () { poll(url); }, 700);
  });
})();
