-- View beacons as pages send them: `POST /v1/articles/{id}/views`, an empty body, a
-- browser's user agent, each from a new reader (an address in X-Forwarded-For). Each
-- connection waits `delay` ms after an answer before its next beacon, so C connections
-- send about C / (delay + latency) beacons a second.
--
-- Arguments after "--": a file of article ids (one per line), the delay in ms, the
-- number of the first reader (readers are numbered on from it, a million per thread);
-- optionally a path, and then each request is a GET of it with the same headers in place
-- of a beacon (the bench's control: a sender as busy, asking for a cached answer).
-- Prints "BEACONS sent=N seconds=S refused=R": the beacons answered, in how long, and how
-- many of them with a status other than 2xx or 3xx (statuses are not read one by one: a
-- response() function would make wrk hand every answer's headers to Lua).

local BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
local ids = {}
local wait = 0
local reader = 0
local threads = 0
local control = nil

setup = function(thread)
  thread:set("number", threads)
  threads = threads + 1
end

init = function(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  wait = tonumber(args[2])
  reader = tonumber(args[3]) + number * 1000000
  control = args[4]
  math.randomseed(reader + os.time())
end

delay = function()
  return wait
end

request = function()
  reader = reader + 1
  local address = string.format(
    "10.%d.%d.%d", math.floor(reader / 65536) % 256, math.floor(reader / 256) % 256, reader % 256
  )
  if control then
    return wrk.format("GET", control, {["User-Agent"] = BROWSER, ["X-Forwarded-For"] = address})
  end
  return wrk.format("POST", "/v1/articles/" .. ids[math.random(#ids)] .. "/views", {
    ["User-Agent"] = BROWSER,
    ["X-Forwarded-For"] = address,
    ["Content-Length"] = "0",
  }, "")
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BEACONS sent=%d seconds=%.3f refused=%d\n",
    summary.requests, summary.duration / 1e6, summary.errors.status
  ))
end
