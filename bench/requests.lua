-- Static requests (URL and -H headers from the command line), read by bench/wrk.py.
-- With BENCH_COUNT_STATUS=1 every answer's status is counted too (this costs wrk a little,
-- so the /ping baseline runs without it).

dofile("report.lua")

if os.getenv("BENCH_COUNT_STATUS") == "1" then
  function init(args)
    statuses = {}
  end

  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  report(summary, latency, { "statuses" }, {})
end
