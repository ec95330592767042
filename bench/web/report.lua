-- Prints one machine-readable line at the end of a wrk run, from the same
-- latency histogram that `--latency` prints (microseconds). run.sh reads it;
-- wrk's own text output is kept beside it.
-- Used alone for GET runs (cookie passed with -H) and by post.lua.

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local function us(p) return math.floor(latency:percentile(p) + 0.5) end
  io.write(string.format(
    "CARNET_WRK requests=%d duration_s=%.3f rps=%.1f bytes=%d mean_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d" ..
    " err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    math.floor(latency.mean + 0.5), us(50), us(90), us(99), math.floor(latency.max),
    e.connect, e.read, e.write, e.status, e.timeout))
end
