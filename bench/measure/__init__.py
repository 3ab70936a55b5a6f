"""Measurements of one cell: latency, memory, energy, hardware. Small value objects, no model imports.

Figures each record carries (units in the names; MB = 10^6 bytes, s = seconds):
- load: load_time_s, rss_baseline_mb (interpreter + harness, before the model), rss_after_load_mb,
  rss_model_increase_mb, rss_after_fit_mb, weights_bytes, params, fit_time_s.
- latency, batch size 1, after `warmup_requests`, over whole passes of the test items until the window
  is long enough: latency_{p50,p95,p99,mean,std,min,max}_ms, throughput_requests_per_s, requests_measured,
  measure_passes, measure_window_s; generative methods add tokens_{in,out}_total, tokens_{in,out}_per_s,
  tokens_{in,out}_per_request_mean, tokens_per_s_basis (see latency.CountsTokens).
- memory: peak_rss_mb (kernel high-water mark up to the end of serving), peak_rss_sampled_mb and
  peak_rss_window_sampled_mb (4 Hz sampler, whole cell / serving window), peak_rss_model_increase_mb,
  peak_rss_cell_mb (whole cell, scoring included), peak_rss_process_mb (wait4, parent side; floored by
  runner_peak_rss_mb, see memory.peak_rss_mb).
- energy over the window: energy_window_wh, co2_window_g, energy_window_s, energy_wh_per_1000_requests,
  co2_g_per_1000_requests, grid_carbon_intensity_g_per_kwh, grid_country_iso3, pue, energy_measured and
  energy_method (how: counters or estimate, the CPU and RAM wattages assumed, their source).
- CPU time: cpu_user_s, cpu_system_s (whole cell, from the kernel), window_cpu_user_s,
  window_cpu_system_s, cpu_time_s_per_1000_requests, cpu_utilisation_cores.
- context: hardware (fingerprint, threads requested, affinity, thread caps, loaded library versions),
  thread_pools (OpenMP/BLAS pools in effect), profile (target-hardware profile), phase_times_s (where the
  cell's wall time went; the run's duty cycle is built from it).
"""
