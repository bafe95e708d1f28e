-- wrk script: a mix of the three event types, per 10 requests: 2 users, 5 orders, 3 payments,
-- each with unique ids. Environment as in orders.lua (API_KEY; RATE and CONNECTIONS to pace).
local counter = 0
local prefix = ""
local key = os.getenv("API_KEY")
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "mix-" .. tostring(id) .. "-" .. tostring(os.time()) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = key
end

function request()
  counter = counter + 1
  local n = counter % 10
  local id = prefix .. counter
  if n < 2 then
    return wrk.format(nil, "/api/users", nil,
      '{"userId":"' .. id .. '","username":"Bench User ' .. counter .. '","email":"u' .. counter .. '@bench.example.com"}')
  elseif n < 7 then
    return wrk.format(nil, "/api/orders", nil,
      '{"orderId":"' .. id .. '","userId":"u-' .. (counter % 1000) .. '","orderTotal":' .. (counter % 500 + 1) .. '.90}')
  else
    return wrk.format(nil, "/api/payments", nil,
      '{"paymentId":"' .. id .. '","orderId":"' .. prefix .. (counter - 3) .. '","paymentAmount":' .. (counter % 500 + 1) .. '.90}')
  end
end

function delay()
  if rate > 0 then return 1000 * connections / rate end
  return 0
end
