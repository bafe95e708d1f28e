-- wrk script: POST /api/orders with a unique order id per request.
-- Environment: API_KEY (required), RATE and CONNECTIONS for a paced run (requests/s in all).
local counter = 0
local prefix = ""
local key = os.getenv("API_KEY")
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "bench-" .. tostring(id) .. "-" .. tostring(os.time()) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = key
end

function request()
  counter = counter + 1
  return wrk.format(nil, "/api/orders", nil,
    '{"orderId":"' .. prefix .. counter .. '","userId":"u-' .. (counter % 1000) .. '","orderTotal":' .. (counter % 500 + 1) .. '.90}')
end

-- paced: each connection waits its share of the interval, so all together send RATE per second
function delay()
  if rate > 0 then return 1000 * connections / rate end
  return 0
end
