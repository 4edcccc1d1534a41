// The SCORM API adapter: `API` (SCORM 1.2) and `API_1484_11` (SCORM 2004) for the SCO framed below, with the
// standard's calls, states and error codes. The data model's rules come from the server (the same table it checks
// commits with); what the SCO sets is sent in batches — on Commit, every 30 seconds when changed, and on finish.
(function () {
  "use strict";
  var launch = JSON.parse(document.getElementById("scorm-launch").textContent);
  var is2004 = launch.version !== "scorm_1.2";
  var table = {};
  launch.definitions.forEach(function (d) { table[d.name] = d; });
  var values = launch.values;
  var pending = [];
  var state = "new"; // new → running → finished
  var lastError = 0;
  var diagnostic = "";

  var messages = is2004 ? {
    0: "No Error", 101: "General Exception", 102: "General Initialization Failure", 103: "Already Initialized",
    104: "Content Instance Terminated", 111: "General Termination Failure", 112: "Termination Before Initialization",
    113: "Termination After Termination", 122: "Retrieve Data Before Initialization", 123: "Retrieve Data After Termination",
    132: "Store Data Before Initialization", 133: "Store Data After Termination", 142: "Commit Before Initialization",
    143: "Commit After Termination", 201: "General Argument Error", 301: "General Get Failure", 351: "General Set Failure",
    391: "General Commit Failure", 401: "Undefined Data Model Element", 402: "Unimplemented Data Model Element",
    403: "Data Model Element Value Not Initialized", 404: "Data Model Element Is Read Only", 405: "Data Model Element Is Write Only",
    406: "Data Model Element Type Mismatch", 407: "Data Model Element Value Out Of Range", 408: "Data Model Dependency Not Established"
  } : {
    0: "No error", 101: "General exception", 201: "Invalid argument error", 202: "Element cannot have children",
    203: "Element not an array - cannot have count", 301: "Not initialized", 401: "Not implemented error",
    402: "Invalid set value, element is a keyword", 403: "Element is read only", 404: "Element is write only", 405: "Incorrect Data Type"
  };
  var codes = is2004
    ? { undefined: 401, readOnly: 404, writeOnly: 405, type: 406, range: 407, keyword: 404, setFailure: 351, notInitialized: 403, dependency: 408 }
    : { undefined: 201, readOnly: 403, writeOnly: 404, type: 405, range: 405, keyword: 402, setFailure: 201, notInitialized: 0, dependency: 201 };
  var uninitialised = ["cmi.location", "cmi.score.raw", "cmi.score.min", "cmi.score.max", "cmi.score.scaled", "cmi.progress_measure",
    "cmi.suspend_data", "cmi.completion_threshold", "cmi.scaled_passing_score", "cmi.max_time_allowed"];
  var number = /^-?(\d+\.?\d*|\.\d+)$/;
  var formats = {
    timespan: /^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/,
    time: /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/,
    interval: /^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/,
    timestamp: /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,2})?)?)?(Z|[+-]\d{2}(:\d{2})?)?)?)?)?$/
  };

  function pattern(element) {
    var indices = [];
    var parts = element.split(".").map(function (part) {
      if (/^\d+$/.test(part)) { indices.push(parseInt(part, 10)); return "n"; }
      return part;
    });
    return { name: parts.join("."), indices: indices };
  }

  function count(prefix) {
    var next = 0;
    var keys = Object.keys(values);
    while (keys.some(function (k) { return k.indexOf(prefix + "." + next + ".") === 0; })) next += 1;
    return next;
  }

  function accepts(value, type) {
    if (value === "") return type.blank || type.kind === "string";
    switch (type.kind) {
      case "string": return type.max == null || value.length <= type.max;
      case "identifier": return (type.max == null || value.length <= type.max) && !/\s/.test(value);
      case "decimal": case "integer":
        if (!number.test(value)) return false;
        var n = parseFloat(value);
        if (type.kind === "integer" && Math.round(n) !== n) return false;
        return (type.low == null || n >= type.low) && (type.high == null || n <= type.high);
      case "vocabulary": return (type.values || []).indexOf(value) >= 0;
      case "result": return (type.values || []).indexOf(value) >= 0 || number.test(value);
      default: return formats[type.kind] ? formats[type.kind].test(value) : false;
    }
  }

  function get(element) {
    if (element === "") return [ "", is2004 ? 301 : 201 ];
    if (/\._children$/.test(element)) {
      var parent = pattern(element.slice(0, -10)).name;
      return launch.children[parent] ? [launch.children[parent], 0] : ["", is2004 ? 301 : 202];
    }
    if (/\._count$/.test(element)) {
      var array = element.slice(0, -7);
      return launch.arrays.indexOf(pattern(array).name) >= 0 ? [String(count(array)), 0] : ["", is2004 ? 301 : 203];
    }
    if (is2004 && element === "cmi._version") return ["1.0", 0];
    if (is2004 && element.indexOf("adl.nav.request_valid.") === 0) return ["unknown", 0];
    var p = pattern(element);
    var d = table[p.name];
    if (!d) return ["", codes.undefined];
    if (d.access === "w") return ["", codes.writeOnly];
    if (Object.prototype.hasOwnProperty.call(values, element)) return [values[element], 0];
    if (is2004 && p.indices.length) {
      var last = element.split(".");
      var at = -1;
      last.forEach(function (part, i) { if (/^\d+$/.test(part)) at = i; });
      if (p.indices[p.indices.length - 1] >= count(last.slice(0, at).join("."))) return ["", 301];
    }
    return ["", is2004 && uninitialised.indexOf(element) >= 0 ? codes.notInitialized : 0];
  }

  function set(element, value) {
    if (element === "") return is2004 ? 351 : 201;
    if (/\._(children|count|version)$/.test(element)) return codes.keyword;
    if (is2004 && element.indexOf("adl.nav.request_valid.") === 0) return codes.readOnly;
    var p = pattern(element);
    var d = table[p.name];
    if (!d) return codes.undefined;
    if (d.access === "r") return codes.readOnly;
    var parts = element.split(".");
    var prefix = [];
    for (var i = 0; i < parts.length; i++) {
      if (/^\d+$/.test(parts[i])) {
        var array = prefix.join(".");
        var index = parseInt(parts[i], 10);
        if (index > count(array)) return codes.setFailure;
        var entry = array + "." + index;
        var field = element.slice(entry.length + 1);
        var starts = !Object.keys(values).some(function (k) { return k.indexOf(entry + ".") === 0; });
        if (is2004 && starts && field.indexOf("id") !== 0 && (array === "cmi.objectives" || array === "cmi.interactions")) return codes.dependency;
      }
      prefix.push(parts[i]);
    }
    if (is2004 && element === "adl.nav.request") {
      var plain = ["continue", "previous", "exit", "exitAll", "abandon", "abandonAll", "suspendAll", "_none_"];
      if (plain.indexOf(value) < 0 && !/^\{target=[^}\s]+\}(choice|jump)$/.test(value)) return codes.type;
    } else if (!accepts(value, d.type)) {
      var numeric = number.test(value);
      if (numeric && (d.type.kind === "decimal" || (d.type.kind === "integer" && Math.round(parseFloat(value)) === parseFloat(value)))) return codes.range;
      if (!(is2004 && d.type.kind === "string")) return codes.type;
    }
    values[element] = value;
    pending.push([element, value]);
    return 0;
  }

  function send(finish, leaving) {
    if (!pending.length && !finish) return true;
    var body = JSON.stringify({ values: pending, finish: !!finish });
    pending = [];
    if (leaving && navigator.sendBeacon) {
      return navigator.sendBeacon(launch.commit, new Blob([body], { type: "application/json" }));
    }
    fetch(launch.commit, { method: "POST", headers: { "Content-Type": "application/json" }, body: body, keepalive: true, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { diagnostic = "the platform refused a commit (" + response.status + ")"; }
        document.body.setAttribute("data-commits", String(parseInt(document.body.getAttribute("data-commits") || "0", 10) + 1));
        // Once the SCO's last data is kept, the portal follows its navigation request (SCORM 2004's adl.nav.request).
        var navigation = values["adl.nav.request"];
        if (finish && is2004 && navigation && navigation !== "_none_") {
          window.parent.postMessage({ scorm: "navigate", request: navigation }, launch.portal);
        }
      })
      .catch(function () { diagnostic = "a commit did not reach the platform"; });
    return true;
  }

  function call(name, before, after, body) {
    return function (argument) {
      if (argument !== undefined && argument !== "" && (name === "initialize" || name === "terminate" || name === "commit")) {
        lastError = 201;
        return "false";
      }
      if (state === "new" && before) { lastError = before; return name === "get" ? "" : "false"; }
      if (state === "finished" && after) { lastError = after; return name === "get" ? "" : "false"; }
      return body.apply(null, arguments);
    };
  }

  var initialize = call("initialize", 0, is2004 ? 104 : 101, function () {
    if (state === "running") { lastError = is2004 ? 103 : 101; return "false"; }
    state = "running";
    lastError = 0;
    return "true";
  });
  var terminate = call("terminate", is2004 ? 112 : 301, is2004 ? 113 : 101, function () {
    state = "finished";
    lastError = 0;
    send(true);
    return "true";
  });
  var getValue = call("get", is2004 ? 122 : 301, is2004 ? 123 : 101, function (element) {
    var answer = get(String(element === undefined ? "" : element));
    lastError = answer[1];
    return answer[0];
  });
  var setValue = call("set", is2004 ? 132 : 301, is2004 ? 133 : 101, function (element, value) {
    lastError = set(String(element === undefined ? "" : element), String(value === undefined ? "" : value));
    return lastError === 0 ? "true" : "false";
  });
  var commit = call("commit", is2004 ? 142 : 301, is2004 ? 143 : 101, function () {
    lastError = 0;
    return send(false) ? "true" : "false";
  });
  function getLastError() { return String(lastError); }
  function getErrorString(code) { return messages[parseInt(code, 10)] || ""; }
  function getDiagnostic(code) { return code ? getErrorString(code) : diagnostic; }

  if (is2004) {
    window.API_1484_11 = { Initialize: initialize, Terminate: terminate, GetValue: getValue, SetValue: setValue, Commit: commit,
      GetLastError: getLastError, GetErrorString: getErrorString, GetDiagnostic: getDiagnostic, version: "1.0" };
  } else {
    window.API = { LMSInitialize: initialize, LMSFinish: terminate, LMSGetValue: getValue, LMSSetValue: setValue, LMSCommit: commit,
      LMSGetLastError: getLastError, LMSGetErrorString: getErrorString, LMSGetDiagnostic: getDiagnostic };
  }
  setInterval(function () { if (state === "running" && pending.length) send(false); }, 30000);
  window.addEventListener("pagehide", function () { if (state === "running") { state = "finished"; send(true, true); } });
  document.getElementById("sco").src = launch.launch;
})();
