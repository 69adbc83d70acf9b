// The header: "Lock now" asks before it locks (without JavaScript its button opens a
// confirmation page instead), Escape closes the menu on a small screen, and the browser's
// time zone goes to the station in the "tz" cookie, so that pages take and show times in
// local time (fieldreg/localtime.py; without it the station laptop's zone is used).
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\/-]{1,64}$/.test(zone) && ("; " + document.cookie + ";").indexOf("; tz=" + zone + ";") === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=strict";
    }
  } catch (e) { /* an old browser without Intl: the station's zone is used */ }
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.querySelectorAll("form.lock[data-lock-action]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!csrf || !window.confirm(form.dataset.confirm)) return;
      var post = document.createElement("form");
      post.method = "post";
      post.action = form.dataset.lockAction;
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = csrf.content;
      post.appendChild(token);
      document.body.appendChild(post);
      post.submit();
    });
  });
  var toggle = document.getElementById("menu-toggle");
  if (toggle) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") toggle.checked = false;
    });
  }
})();
