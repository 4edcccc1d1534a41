-- wrk: the learning record store and the SCORM runtime. MODE (environment): post (50 statements a request), query
-- (a filtered GET: by agent, by activity and verb, by registration, or by verb since a date), commit (a SCORM commit
-- of a few elements on one of 32 live launches). Data from lrs_setup.py (LRS_DATA).
local data = dofile(os.getenv("LRS_DATA"))
local mode = os.getenv("MODE") or "post"
local counter = 0
local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
end

request = function()
  counter = counter + 1
  local headers = {["Authorization"] = data.auth, ["X-Experience-API-Version"] = "1.0.3", ["Content-Type"] = "application/json"}
  if mode == "post" then
    return wrk.format("POST", "/xapi/statements", headers, data.bodies[(counter % #data.bodies) + 1])
  elseif mode == "query" then
    return wrk.format("GET", data.queries[((counter * 2 + id) % #data.queries) + 1], headers)
  else
    local token = data.scorm[((counter * 2 + id) % #data.scorm) + 1]
    local body = string.format('{"values":[["cmi.core.lesson_location","page-%d"],["cmi.suspend_data","visited=%d"],["cmi.core.session_time","0000:00:%02d"]]}', counter % 9, counter, counter % 60)
    return wrk.format("POST", "/scorm/" .. token .. "/commit", {["Content-Type"] = "application/json"}, body)
  end
end
