-- wrk: content-state updates from many learners. MODE (environment): single (one update a request),
-- batch (BATCH updates a request, one learner's courses), complete (each request completes the next
-- learner-course pair: both required items in one batch), enrol (each request enrols a learner in a catalogue course
-- they were not in). Tokens and ids come from progress-data.lua.
local data = dofile(os.getenv("PROGRESS_DATA"))
local mode = os.getenv("MODE") or "single"
local batch = tonumber(os.getenv("BATCH") or "20")
-- Each thread numbers its requests n = counter * THREADS + id, so the threads never send the same pair.
local nthreads = tonumber(os.getenv("THREADS") or "2")
local created = 0
local counter = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
end

local function update(course, item, status, percent, key)
  return string.format('{"courseId":"%s","itemId":"%s","status":%d,"percent":%d,"secondsSpent":5,"key":"%s"}', course, item, status, percent, key)
end

request = function()
  counter = counter + 1
  local n = counter * nthreads + id
  local learner = (n % #data.tokens) + 1
  if mode == "enrol" then
    -- pair n: learner n mod L, catalogue course n div L: each learner enrols in courses they are not yet in
    local course = data.catalogue[(math.floor(n / #data.tokens) % #data.catalogue) + 1]
    return wrk.format("POST", "/api/v1/courses/" .. course .. "/enrol", {["Authorization"] = "Bearer " .. data.tokens[learner]})
  end
  local updates = {}
  if mode == "complete" then
    -- pair n: learner n mod L, course n div L, so every pair comes once
    local course = data.courses[(math.floor(n / #data.tokens) % #data.courses) + 1]
    updates[1] = update(course.id, course.items[1], 2, 100, "c1-" .. n)
    updates[2] = update(course.id, course.items[2], 2, 100, "c2-" .. n)
  else
    local size = mode == "batch" and batch or 1
    for i = 1, size do
      local course = data.courses[((n * 7 + i) % #data.courses) + 1]
      updates[i] = update(course.id, course.items[1], 1, (n + i) % 100, mode .. "-" .. id .. "-" .. counter .. "-" .. i)
    end
  end
  local body = '{"updates":[' .. table.concat(updates, ",") .. ']}'
  return wrk.format("POST", "/api/v1/progress", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. data.tokens[learner]}, body)
end
