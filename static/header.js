// The header: "Lock now" asks before it locks (without JavaScript its button opens a
// confirmation page instead), and Escape closes the menu on a small screen.
(function () {
  "use strict";
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
