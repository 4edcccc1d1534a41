-- wrk: rotate through catalogue searches of different kinds (English, Hindi, prefix, filters, sorts).
local paths = {
  "/api/v1/courses?q=office",
  "/api/v1/courses?q=%E0%A4%B8%E0%A5%81%E0%A4%B0%E0%A4%95%E0%A5%8D%E0%A4%B7%E0%A4%BE",
  "/api/v1/courses?q=cyb&language=en",
  "/api/v1/courses?area=functional&sort=rating",
  "/api/v1/courses?kind=video&maxDuration=120&sort=popularity",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
