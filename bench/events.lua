-- wrk script: POST events with a unique id per request.
-- Environment: API_KEY (required); EVENTS = orders (default) | users | mix (per 10 requests:
-- 2 users, 5 orders, 3 payments) | batch (POST /api/events, BATCH order_placed events a call);
-- RATE and CONNECTIONS to pace (RATE requests/s in all).
local counter = 0
local prefix = ""
local key = os.getenv("API_KEY")
local events = os.getenv("EVENTS") or "orders"
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
local batch = tonumber(os.getenv("BATCH") or "100")

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = events .. "-" .. tostring(id) .. "-" .. tostring(os.time()) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = events == "batch" and "application/cloudevents-batch+json" or "application/json"
  wrk.headers["X-API-Key"] = key
end

local function user(n)
  local id = prefix .. n
  return wrk.format(nil, "/api/users", nil,
    '{"userId":"' .. id .. '","username":"Bench User ' .. n .. '","email":"' .. id .. '@bench.example.com"}')
end

local function order(n)
  return wrk.format(nil, "/api/orders", nil,
    '{"orderId":"' .. prefix .. n .. '","userId":"u-' .. (n % 1000) .. '","orderTotal":' .. (n % 500 + 1) .. '.90}')
end

local function payment(n)
  return wrk.format(nil, "/api/payments", nil,
    '{"paymentId":"' .. prefix .. n .. '","orderId":"' .. prefix .. (n - 3) .. '","paymentAmount":' .. (n % 500 + 1) .. '.90}')
end

-- a CloudEvents batch of order_placed events; id and source are the service's to set
local function events_batch(n)
  local items = {}
  for i = 1, batch do
    items[i] = '{"specversion":"1.0","type":"order_placed","data":{"orderId":"' .. prefix .. n .. '-' .. i
      .. '","userId":"u-' .. (i % 1000) .. '","orderTotal":' .. (i % 500 + 1) .. '.90}}'
  end
  return wrk.format(nil, "/api/events", nil, "[" .. table.concat(items, ",") .. "]")
end

function request()
  counter = counter + 1
  if events == "batch" then return events_batch(counter) end
  if events == "users" then return user(counter) end
  if events == "mix" then
    local n = counter % 10
    if n < 2 then return user(counter) elseif n < 7 then return order(counter) else return payment(counter) end
  end
  return order(counter)
end

-- paced: each connection waits its share of the interval, so all together send about RATE per second
function delay()
  if rate > 0 then return 1000 * connections / rate end
  return 0
end
