-- wrk script for the intake benchmark: POSTs the bodies of $BENCH_BODIES (one JSON body per line; each wrk thread
-- takes every n-th line, so threads never send the same person at once) with $BENCH_AUTH as Authorization, and
-- prints the summary as one JSON line prefixed BENCHJSON for bench/run to read.
local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
end

function init(args)
  bodies = {}
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if i % threads == tid then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  index = 0
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth
  end
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", nil, nil, bodies[index])
end

function done(summary, latency, requests)
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
