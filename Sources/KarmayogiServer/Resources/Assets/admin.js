// Admin pages, improved when scripts run (every page works without them):
// a State list marked data-districts="<id>" fills that district list when the State changes;
// data-mirror="<id>" copies the chosen State into a field of another form; data-no-script hides what a script makes needless;
// a page with [data-live] (an upload under way, a campaign's live counters) takes its main content afresh every
// data-live seconds (2 when empty) while it has one, in place of the timed refresh it uses without a script; when the
// fresh page has none (the upload is done), its whole main content is taken once more.
"use strict";
(function () {
  document.querySelectorAll("[data-no-script]").forEach(function (element) { element.hidden = true; });
  document.querySelectorAll("select[data-districts]").forEach(function (states) {
    var districts = document.getElementById(states.dataset.districts);
    if (!districts) return;
    states.addEventListener("change", function () {
      var mirror = states.dataset.mirror && document.getElementById(states.dataset.mirror);
      if (mirror) mirror.value = states.value;
      var first = districts.options[0];
      districts.replaceChildren(first);
      if (!states.value) return;
      fetch("/admin/districts?state=" + encodeURIComponent(states.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (list) {
          list.forEach(function (district) {
            var option = document.createElement("option");
            option.value = String(district.code);
            option.textContent = district.name;
            districts.appendChild(option);
          });
        })
        .catch(function () { /* the list stays empty; saving still checks the district against its State */ });
    });
  });
  var live = document.querySelector("[data-live]");
  if (live) {
    var every = (parseInt(live.dataset.live, 10) || 2) * 1000;
    var poll = function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (text) {
          var page = new DOMParser().parseFromString(text, "text/html");
          var fresh = page.querySelector("[data-live]"), current = document.querySelector("[data-live]");
          if (!current) return;
          if (fresh) {
            current.replaceWith(fresh);
            setTimeout(poll, every);
          } else if (page.querySelector("main")) {
            document.querySelector("main").replaceWith(page.querySelector("main"));
          }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, every);
  }
})();
