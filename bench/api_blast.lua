-- wrk script for bench/bench_api.py: POST /graphql blastRadius for a random integration.
--
--   wrk -t2 -c32 -d60s --latency -s bench/api_blast.lua http://127.0.0.1:PORT/graphql -- IDS KEY
--
-- IDS is a file of integration ids, one a line; KEY a file holding the bearer API key
-- (kept out of the command line). A response counts as an error when its status is
-- not 200 or its body has GraphQL "errors" (or no "data"). done() prints one line,
-- "wrk-json {...}", that bench_api.py reads: requests, errors and latency percentiles.

local QUERY = "query($id: String!) { blastRadius(start: {integrations: [$id]}) "
  .. "{ score stores { dataStoreId access depth } tenants { tenantId access } } }"

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if #line > 0 then
      table.insert(lines, line)
    end
  end
  file:close()
  return lines
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local ids = {}

function init(args)
  ids = read_lines(args[1])
  local key = read_lines(args[2])[1]
  assert(#ids > 0, "no integration ids in " .. args[1])
  math.randomseed(7 * 1000 + thread_number)  -- reproducible choice per thread
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
  -- No Accept-Encoding: bodies come back plain, so errors can be read from them.
  responses, non_200, graphql_errors, first_error = 0, 0, 0, ""
end

function request()
  local id = ids[math.random(#ids)]
  local body = '{"query":' .. json_string(QUERY) .. ',"variables":{"id":' .. json_string(id) .. "}}"
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  responses = responses + 1
  local bad = false
  if status ~= 200 then
    non_200 = non_200 + 1
    bad = true
  elseif body:find('"errors"', 1, true) or not body:find('"data":{', 1, true) then
    graphql_errors = graphql_errors + 1
    bad = true
  end
  if bad and first_error == "" then
    first_error = status .. " " .. body:sub(1, 300)
  end
end

function done(summary, latency, requests)
  local checked, bad_status, bad_body, example = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    checked = checked + thread:get("responses")
    bad_status = bad_status + thread:get("non_200")
    bad_body = bad_body + thread:get("graphql_errors")
    if example == "" then
      example = thread:get("first_error")
    end
  end
  local e = summary.errors
  local out = {
    string.format('"duration_us":%d', summary.duration),
    string.format('"requests":%d', summary.requests),
    string.format('"bytes":%d', summary.bytes),
    string.format('"responses_checked":%d', checked),
    string.format('"non_200":%d', bad_status),
    string.format('"graphql_errors":%d', bad_body),
    string.format('"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}',
      e.connect, e.read, e.write, e.timeout),
    string.format('"wrk_status_errors":%d', e.status),
    string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,'
      .. '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}',
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)),
    '"first_error":' .. json_string(example),
  }
  io.write("wrk-json {" .. table.concat(out, ",") .. "}\n")
end
