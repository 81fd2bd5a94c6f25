"""When does the distributed pair search pay? One machine against dask, same data.

One command, from the repository root (needs the ``dask`` extra)::

    python benchmarks/dask_bench.py           # N = 10^4 .. 10^6 points
    python benchmarks/dask_bench.py --quick   # N = 10^4 .. 10^5

Times ``sandan_geo.pairs_within`` on a GeoDataFrame against
``sandan_geo.pairs_within_dask(...).compute()`` on the same sites split into
8 dask-geopandas partitions, on two local clusters: one worker process with
two threads, and two worker processes with one thread each. The data are
``benchmarks/run.py``'s clustered points and reach. Each figure is the median
of 3 rounds (each round runs every configuration once); the pair counts must
agree. Results go to ``benchmarks/dask_results.json`` and into
``docs/benchmarks.md`` between the ``dask`` markers.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import run as bench  # noqa: E402  (benchmarks/run.py: data and machine description)

RESULTS = ROOT / "benchmarks" / "dask_results.json"
START, END = "<!-- dask:start -->", "<!-- dask:end -->"
PARTITIONS = 8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N up to 10^5")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    import dask_geopandas
    import distributed

    from sandan_geo import pairs_within, pairs_within_dask

    warnings.simplefilter("ignore")  # distributed's start-up chatter
    started = time.perf_counter()
    sizes = [10_000, 100_000] + ([] if args.quick else [1_000_000])
    clusters = {
        "dask, 1 process × 2 threads": {
            "processes": False,
            "n_workers": 1,
            "threads_per_worker": 2,
        },
        "dask, 2 processes × 1 thread": {
            "processes": True,
            "n_workers": 2,
            "threads_per_worker": 1,
        },
    }
    rows: list[dict[str, Any]] = []
    for n in sizes:
        data = bench.make_data("points", n)
        parts = dask_geopandas.from_geopandas(data.frame, npartitions=PARTITIONS, sort=False)
        times: dict[str, list[float]] = {"one machine": []}
        pairs: dict[str, int] = {}
        for name in clusters:
            times[name] = []
        for _ in range(args.repeat):
            gc.collect()
            t0 = time.perf_counter()
            df = pairs_within(data.frame, data.km, progress=False)
            times["one machine"].append(time.perf_counter() - t0)
            pairs["one machine"] = len(df)
            del df
            for name, kw in clusters.items():
                with distributed.Client(dashboard_address=None, **kw) as client:
                    client.run(lambda: None)  # workers up before the clock starts
                    t0 = time.perf_counter()
                    got = pairs_within_dask(parts, data.km).compute()
                    times[name].append(time.perf_counter() - t0)
                pairs[name] = len(got)
                del got
        base = statistics.median(times["one machine"])
        for name, ts in times.items():
            t = statistics.median(ts)
            rows.append(
                {
                    "n": n,
                    "km": data.km,
                    "method": name,
                    "time_s": t,
                    "runs": len(ts),
                    "pairs": pairs[name],
                    "ratio_to_one_machine": t / base,
                }
            )
            print(f"N={n:,} {name}: {t:.3f} s ({t / base:.2f}×), {pairs[name]:,} pairs")
        if len(set(pairs.values())) != 1:
            print(f"pair counts disagree at N={n}: {pairs}", file=sys.stderr)
            return 1
    results = {
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%d"),
        "elapsed_s": time.perf_counter() - started,
        "partitions": PARTITIONS,
        "machine": bench.machine(),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.no_doc:
        bench.write_doc(markdown(results), START, END, heading="")
    return 0


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    cmd = "python benchmarks/dask_bench.py" + (" --quick" if results["quick"] else "")
    lines = [
        START,
        "",
        f"Run: `{cmd}` on {results['date']} ({results['elapsed_s']:.0f} s in all), "
        f"{m['nproc']} CPU, {m['ram_bytes'] / 2**30:.1f} GiB RAM; {results['partitions']} input "
        "partitions, strips = partitions.",
        "",
        "| N | km | how | time (s) | × one machine | pairs |",
        "| ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for r in results["rows"]:
        lines.append(
            f"| {r['n']:,} | {r['km']:.4g} | {r['method']} | {r['time_s']:.3f} | "
            f"{r['ratio_to_one_machine']:.2f} | {r['pairs']:,} |"
        )
    lines += ["", END]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
