// Scan page: the live camera through BarcodeDetector where the browser has it (Chrome on
// Android, in a secure context); everywhere else the section stays hidden and the photo
// form does the work. Choosing a photo sends it straight away.
(function () {
  "use strict";
  var script = document.currentScript;
  var scanUrl = script ? script.getAttribute("data-scan-url") : "/scan";
  var photoInput = document.querySelector("[data-photo-input]");
  if (photoInput) {
    photoInput.addEventListener("change", function () {
      if (photoInput.files && photoInput.files.length) photoInput.form.submit();
    });
  }

  var section = document.querySelector("[data-camera]");
  if (!section || !window.isSecureContext || !("BarcodeDetector" in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  var video = section.querySelector("[data-camera-video]");
  var status = section.querySelector("[data-camera-status]");
  var start = section.querySelector("[data-camera-start]");
  var detector;

  function open(code) {
    window.location.href = scanUrl + "?code=" + encodeURIComponent(code);
  }

  function loop(stream) {
    detector.detect(video).then(function (found) {
      if (found.length) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        open(found[0].rawValue);
        return;
      }
      window.setTimeout(function () { loop(stream); }, 150);
    }).catch(function () { window.setTimeout(function () { loop(stream); }, 300); });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) return;
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    section.hidden = false;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          start.hidden = true;
          return video.play().then(function () { loop(stream); });
        })
        .catch(function () {
          status.textContent = section.getAttribute("data-denied") || "Camera unavailable.";
        });
    });
  });
})();
