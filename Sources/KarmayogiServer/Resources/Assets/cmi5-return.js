// A cmi5 AU's returnURL, on the package origin: tell the portal page around the AU that the learner left it.
(function () {
  "use strict";
  if (window.parent !== window) window.parent.postMessage({ scorm: "navigate", request: "exit" }, "*");
})();
