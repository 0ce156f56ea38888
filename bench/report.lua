-- Shared by the wrk scripts: keep every thread, and print machine-readable results at the end.
-- Lines look like "BENCH<TAB>key<TAB>value..."; bench/wrk.py reads them.

threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

-- Add up a per-thread table of numbers (e.g. statuses) over all threads.
local function sum_tables(name)
  local total = {}
  for _, thread in ipairs(threads) do
    local part = thread:get(name) or {}
    for key, value in pairs(part) do
      total[key] = (total[key] or 0) + value
    end
  end
  return total
end

-- Print the summary, the latency percentiles (microseconds) and the named per-thread tables.
function report(summary, latency, tables, lists)
  local e = summary.errors
  print(string.format("BENCH\tsummary\t%d\t%d\t%d", summary.duration, summary.requests, summary.bytes))
  print(string.format("BENCH\terrors\t%d\t%d\t%d\t%d\t%d", e.connect, e.read, e.write, e.status, e.timeout))
  print(string.format("BENCH\tlatency\t%d\t%d\t%d\t%d",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  for _, name in ipairs(tables or {}) do
    for key, value in pairs(sum_tables(name)) do
      print(string.format("BENCH\t%s\t%s\t%d", name, tostring(key), value))
    end
  end
  for _, name in ipairs(lists or {}) do
    for _, thread in ipairs(threads) do
      for _, item in ipairs(thread:get(name) or {}) do
        print(string.format("BENCH\t%s\t%s", name, item))
      end
    end
  end
end
