-- SPDX-License-Identifier: BSD-2-Clause
-- wrk script of bench/api.sh: GET the paths listed in a file (one per
-- line, `wrk ... -s bench/api.lua URL -- FILE`), in turn, each wrk thread
-- starting at its own place in the list.  (No response() callback: wrk
-- then skips handing bodies to Lua; it counts non-2xx answers itself.)
local paths = {}
local i = 0

function init(args)
	local f = assert(io.open(args[1], "r"))
	for line in f:lines() do
		if #line > 0 then
			paths[#paths + 1] = line
		end
	end
	f:close()
	-- a different start per thread (their tables sit at different
	-- addresses)
	local addr = tonumber(tostring({}):match("0x(%x+)"), 16) or 0
	i = addr % #paths
end

function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end

