-- wrk script: POST /api/users with unique ids (each one a welcome mail). Environment as in orders.lua.
local counter = 0
local prefix = ""
local key = os.getenv("API_KEY")

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "user-" .. tostring(id) .. "-" .. tostring(os.time()) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = key
end

function request()
  counter = counter + 1
  local id = prefix .. counter
  return wrk.format(nil, "/api/users", nil,
    '{"userId":"' .. id .. '","username":"Bench User ' .. counter .. '","email":"' .. id .. '@bench.example.com"}')
end
