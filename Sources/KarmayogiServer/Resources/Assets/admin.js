// Admin pages, improved when scripts run (every page works without them):
// a State list marked data-districts="<id>" fills that district list when the State changes;
// data-mirror="<id>" copies the chosen State into a field of another form; data-no-script hides what a script makes needless;
// a page with [data-live] (an upload under way) takes its main content afresh every 2 seconds until it is done, in place
// of the timed refresh it uses without a script.
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
  if (document.querySelector("[data-live]")) {
    var poll = function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("main");
          if (!fresh) return;
          document.querySelector("main").replaceWith(fresh);
          if (fresh.querySelector("[data-live]")) setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 2000);
  }
})();
