-- Walks a list of paths (one per line, in the file named by the first argument after
-- "--"), each thread in its own shuffled order from its own starting point: every
-- path is read, in random order.
local paths = {}
local position = 0

init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  for i = #paths, 2, -1 do
    local j = math.random(i)
    paths[i], paths[j] = paths[j], paths[i]
  end
  position = math.random(#paths)
end

request = function()
  position = position % #paths + 1
  return wrk.format(nil, paths[position])
end

-- The RESULT line, as every wrk run here prints it.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_report.lua")
