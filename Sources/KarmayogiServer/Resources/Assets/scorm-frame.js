// The portal's side of a SCORM item: when the SCO asks to continue, go back or leave (SCORM 2004 navigation
// requests, told by the runtime on the package origin and by no other window), the page follows.
(function () {
  "use strict";
  var frame = document.querySelector("iframe.package");
  if (!frame) return;
  window.addEventListener("message", function (event) {
    if (event.origin !== frame.getAttribute("data-origin") || !event.data || event.data.scorm !== "navigate") return;
    var request = String(event.data.request);
    if (request === "continue") window.location.assign(frame.getAttribute("data-next"));
    else if (request === "previous") window.location.assign(frame.getAttribute("data-previous"));
    else window.location.assign(frame.getAttribute("data-back"));
  });
})();
