// The course player's progress reports. The page works without this script (items are marked done by
// hand); with it, a video reports how far the learner has watched, and opening a document, web page or link
// marks it in progress. Each report carries its own key, so a report sent twice counts once.
(function () {
  "use strict";
  // An attempt's timer counts down each second; the server enforces the deadline whatever the page shows.
  var timer = document.querySelector("[data-deadline]");
  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var template = timer.getAttribute("data-template");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = left > 0 ? template.replace("{minutes}", Math.floor(left / 60)).replace("{seconds}", left % 60) : timer.getAttribute("data-up");
      if (left > 0) { window.setTimeout(tick, 1000); }
    };
    tick();
  }

  var player = document.getElementById("player");
  if (!player || !window.fetch) { return; }
  var course = player.getAttribute("data-course");
  var csrf = player.getAttribute("data-csrf");
  var serial = 0;

  function key() {
    serial += 1;
    return "player-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + "-" + serial;
  }

  function report(item, status, percent, seconds) {
    return fetch("/learn/" + course + "/progress", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ itemId: item, status: status, percent: Math.max(0, Math.min(100, Math.round(percent))),
                             secondsSpent: Math.max(0, Math.round(seconds)), key: key() })
    }).then(function (response) {
      var state = document.querySelector("[data-state='" + item + "']");
      if (response.ok && state && status === 2) { state.textContent = state.getAttribute("data-done"); }
    }).catch(function () { /* offline: the next report carries the progress */ });
  }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-item]"), function (video) {
    var item = video.getAttribute("data-item");
    var unsent = 0, lastTime = null, lastReport = 0;
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (lastTime !== null && now > lastTime && now - lastTime < 5) { unsent += now - lastTime; }
      lastTime = now;
      if (unsent >= 15 && Date.now() - lastReport > 15000 && video.duration) {
        lastReport = Date.now();
        report(item, 1, now / video.duration * 100, unsent);
        unsent = 0;
      }
    });
    video.addEventListener("ended", function () { report(item, 2, 100, unsent); unsent = 0; });
  });

  Array.prototype.forEach.call(document.querySelectorAll("a[data-item]"), function (link) {
    link.addEventListener("click", function () { report(link.getAttribute("data-item"), 1, 0, 0); });
  });
})();
