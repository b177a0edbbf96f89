"""MLflow's tracking server on this machine, for the server half of scripts/bench.sh.

Starts `mlflow server` with a SQLite backend on a loopback port, then:
- ingest: 4 client processes each call `MlflowClient.log_batch` with batches of 1,000 metrics on their
  own run, one batch after another; metrics per second over the wall time of all four;
- registry reads: one client calls `get_model_version_by_alias` again and again (after 100 to warm
  up); the latency of each, p50 and p99 (numpy's linear percentiles).

Usage: target/mlflow-venv/bin/python scripts/bench/mlflow_bench.py OUT.json [BATCHES] [READS]
(target/mlflow-venv comes from scripts/ref/requirements-mlflow.txt; never a product dependency).
"""

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLIENTS = 4
BATCH = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values, q):
    """numpy.percentile's default (linear) on sorted values."""
    position = (len(sorted_values) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def log_batches(job):
    uri, run_id, batches, barrier_time = job
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    stamp = int(time.time() * 1000)
    prepared = [[Metric(f"m{i}", float(i), stamp, b) for i in range(BATCH)] for b in range(batches)]
    while time.time() < barrier_time:
        time.sleep(0.001)
    start = time.perf_counter()
    for metrics in prepared:
        client.log_batch(run_id, metrics=metrics)
    return start, time.perf_counter()


def main():
    out = sys.argv[1]
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    reads = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    tmp = tempfile.mkdtemp(prefix="mlflow-bench-")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{tmp}/mlflow.db",
         "--default-artifact-root", f"{tmp}/artifacts", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 300
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2).read()
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("mlflow server did not start")
                time.sleep(0.5)
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        experiment = client.create_experiment("bench")
        runs = [client.create_run(experiment).info.run_id for _ in range(CLIENTS)]
        start_at = time.time() + 3.0
        with multiprocessing.Pool(CLIENTS) as pool:
            spans = pool.map(log_batches, [(uri, run, batches, start_at) for run in runs])
        seconds = max(end for _, end in spans) - min(start for start, _ in spans)
        metrics = CLIENTS * batches * BATCH

        client.create_registered_model("iris")
        source = client.get_run(runs[0]).info.artifact_uri + "/model"
        version = client.create_model_version("iris", source=source, run_id=runs[0])
        client.set_registered_model_alias("iris", "champion", version.version)
        latencies = []
        for i in range(reads + 100):
            start = time.perf_counter()
            found = client.get_model_version_by_alias("iris", "champion")
            took = (time.perf_counter() - start) * 1000.0
            assert found.version == version.version
            if i >= 100:
                latencies.append(took)
        latencies.sort()
        import mlflow

        figures = {
            "version": mlflow.__version__,
            "ingest": {"clients": CLIENTS, "batch": BATCH, "metrics": metrics, "seconds": seconds,
                       "metrics_per_second": metrics / seconds},
            "registry_read": {"requests": reads, "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)},
        }
        with open(out, "w") as f:
            json.dump(figures, f, indent=2)
        print(json.dumps(figures), file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
