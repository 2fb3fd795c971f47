-- wrk script for the API case: every request carries the bench token, and the summary is
-- printed as one machine-readable line (latencies in microseconds) for bench/cases/api_load.py.
wrk.headers["X-DOMO-Developer-Token"] = os.getenv("HEADWATER_BENCH_TOKEN")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "HEADWATER-WRK requests=%d seconds=%.6f p50=%d p99=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
