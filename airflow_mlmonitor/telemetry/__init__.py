"""StatsD telemetry: metric names, the emitter for check results, task and DAG-run metrics."""
