"""psconfig's performance, measured: ``make bench`` (not part of the test suite).

Prints a table and writes ``tests/bench/results/latest.json``. Every PowerSchool is
a simulator served over loopback HTTP from a child process (``farm.py``), with a
fixed latency on every request, so the measured process is psconfig alone, as it
is against a district's real server. Districts start fresh: the Clever preset spec
(``clever-dde-sync``) against a seeded simulator, toggle off, nothing set up.

Measures and goals:

1. One district, 50 ms per request: plan and apply wall time (sign-in to sign-out,
   spec loading included), requests made, and the dependent rounds the server
   saw; against the same with ``max_connections=1`` in the driver (sequential, what
   ``--parallelism 1`` means for one district, a clicking script's pace), and
   against the critical-path limit. Goals: plan within 1.5x of the limit, and at
   least 3x faster than sequential.
2. A fleet of 200 districts at 50 ms, 32 at a time (``psconfig.engine.fleet.runner``):
   wall time and the peak resident memory of the process. Goal: under 10 s.
3. CPU time per district plan with no latency (``time.process_time`` over 40
   plans after a warm-up). Goal: under 20 ms.
4. ``psconfig --version`` start-up, best of 5 (a subprocess). Goal: under 0.3 s.

The critical-path limit of a plan. A plan's requests depend on each other in
chains; the longest chain, in round trips, times the latency is the fastest any
scheduling could do. For a fresh district (toggle off; the spec reads one group,
the two DDE pages and one staff member, and changes a group), under the driver's
page contract (a write is a GET of the form, its POST and a GET reading it back; a
read is one GET) and the engine's order of work:

- sign-in: GET the sign-in page (its key and token), POST the credentials: 2;
- the toggle: GET its page, to know whether page permissions are readable: 1;
- page permissions need the toggle on, so: turn it on (GET form, POST, GET read
  back) 3, GET both editors at once 1, turn it off (GET, POST, GET) 3: 7;
- in parallel with those 7, and shorter: the group list then the group's edit page
  (2), the staff search then the member's three pages (2), the schools (1);
- the plan changes a group, so the engine then looks up the signed-in account
  (apply will refuse to touch its groups): GET the toggle, search the admin staff,
  GET their pages: 3;
- sign-out: 1.

That is 2 + 1 + 7 + 3 + 1 = 14 dependent round trips: 700 ms at 50 ms. The plan
makes 23 requests, so even unlimited parallelism is at most 23 / 14 = 1.64x faster
than sequential: the toggle bracket (PowerSchool shows page permissions only while
the toggle is on) and the account lookup after it are the chain. ``rounds`` in the
output is the same depth measured on the server's timeline (each request one round
after the latest request that ended before it started); the table says so when it
departs from the derivation, which then needs updating.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script: make `tests.bench` importable
    sys.path.insert(0, str(REPO))

from psconfig.drivers.base import Driver  # noqa: E402
from psconfig.drivers.portal import open_portal  # noqa: E402
from psconfig.engine.applying.plan_and_apply import ApplyOptions, apply_spec, plan_spec  # noqa: E402
from psconfig.engine.fleet.runner import FleetOptions, plan_fleet  # noqa: E402
from psconfig.spec import LoadedSpec, load_spec  # noqa: E402
from tests.bench.farm import Farm, Hit, farm, serve_farm  # noqa: E402

LATENCY_MS = 50
PLAN_ROUNDS = 2 + 1 + 7 + 3 + 1
FLEET_SIZE = 200
FLEET_PARALLELISM = 32
CPU_PLANS = 40
RESULTS = Path(__file__).with_name("results") / "latest.json"
ADMIN_PASSWORD = "psconfig-demo"
SYNC_PASSWORD = "Bench-Sync-Password-1"
Kind = Literal["plan", "apply"]

SPEC = """\
psconfig: 1
name: {name}
server:
  url: {url}
  username: admin
  password: ${{env:PS_ADMIN_PASSWORD}}
preset:
  clever-dde-sync:
    password: ${{env:CLEVER_SYNC_PASSWORD}}
    allowed_ips: [192.0.2.10]
"""


def write_specs(root: Path, running: Farm, districts: Sequence[int]) -> list[Path]:
    paths = []
    for k in districts:
        path = root / f"d{k}.yaml"
        path.write_text(SPEC.format(name=f"d{k}", url=running.url(k)), "utf-8")
        paths.append(path)
    return paths


def _approve(plan: object) -> bool:
    return True


async def timed(path: Path, url: str, kind: Kind, connections: int) -> dict[str, Any]:
    """One plan or apply of one district: wall time, requests, time window."""
    started = time.perf_counter()
    spec = load_spec(path)
    username, password = spec.credentials()
    driver = open_portal(url, username, password, max_connections=connections)
    async with driver:
        if kind == "plan":
            await plan_spec(spec, driver)
        else:
            await apply_spec(spec, driver, ApplyOptions(review=_approve))
    ended = time.perf_counter()
    return {
        "wall_s": ended - started,
        "requests": driver.request_count,
        "window": (started, ended),
    }


def rounds(hits: Sequence[Hit], district: int, window: tuple[float, float]) -> int:
    """Dependent rounds on the server's timeline: the longest chain of requests."""
    mine = sorted(
        (h for h in hits if h.district == district and window[0] <= h.start),
        key=lambda h: h.start,
    )
    mine = [h for h in mine if h.end <= window[1] + 0.01]
    level: list[int] = []
    for index, hit in enumerate(mine):
        before = [level[i] for i in range(index) if mine[i].end <= hit.start]
        level.append(1 + max(before, default=0))
    return max(level, default=0)


def one_district(work: Path) -> dict[str, Any]:
    """Section 1: plan and apply, parallel and sequential, three runs each."""
    runs: dict[str, list[dict[str, Any]]] = {}
    plans = {"plan-parallel": (1, 8), "plan-sequential": (2, 1)}
    applies = {"apply-parallel": (3, 8), "apply-sequential": (6, 1)}
    with farm(work / "one", 8, latency_ms=LATENCY_MS) as running:
        paths = write_specs(work, running, range(1, 9))
        for name, (k, connections) in plans.items():
            runs[name] = [
                asyncio.run(timed(paths[k - 1], running.url(k), "plan", connections))
                | {"district": k}
                for _ in range(3)
            ]
        for name, (first, connections) in applies.items():
            runs[name] = [
                asyncio.run(timed(paths[k - 1], running.url(k), "apply", connections))
                | {"district": k}
                for k in range(first, first + 3)
            ]
    summary = {}
    for name, measured in runs.items():
        for run in measured:
            run["rounds"] = rounds(running.hits, run["district"], run["window"])
        summary[name] = {
            "wall_s": round(statistics.median(r["wall_s"] for r in measured), 3),
            "requests": measured[0]["requests"],
            "rounds": max(r["rounds"] for r in measured),
        }
    return summary


def fleet(work: Path) -> dict[str, Any]:
    """Section 2: 200 districts, 32 at a time, measured in a fresh process."""
    with farm(work / "fleet", FLEET_SIZE, latency_ms=LATENCY_MS) as running:
        write_specs(work / "fleet", running, range(1, FLEET_SIZE + 1))
        command = [sys.executable, __file__, "--fleet", str(work / "fleet")]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    result["farm_cpu_s"] = round(running.cpu_s, 3)
    return result


def fleet_child(root: Path) -> dict[str, Any]:
    """In the child: plan every district of ``root`` through the fleet runner."""
    paths = sorted(root.glob("d*.yaml"), key=lambda p: int(p.stem[1:]))
    requests = 0

    @contextlib.asynccontextmanager
    async def open_driver(spec: LoadedSpec) -> AsyncIterator[Driver]:
        nonlocal requests
        username, password = spec.credentials()
        driver = open_portal(spec.server.url, username, password)
        try:
            async with driver:
                yield driver
        finally:
            requests += driver.request_count  # and let the driver go

    options = FleetOptions(
        load=load_spec,
        open_driver=open_driver,
        target_url=lambda spec: spec.server.url,
        parallelism=FLEET_PARALLELISM,
    )
    started, cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(plan_fleet(paths, options))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "districts": len(result.districts),
        "results": {r: result.count(r) for r in ("changes", "clean", "error")},
        "errors": sorted({d.error or "" for d in result.districts if d.error}),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "requests": requests,
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def cpu_per_plan(work: Path) -> dict[str, Any]:
    """Section 3: psconfig's CPU per plan, no latency, the simulator elsewhere."""
    with farm(work / "cpu", 1, latency_ms=0) as running:
        (path,) = write_specs(work / "cpu", running, [1])

        async def plans() -> float:
            await timed(path, running.url(1), "plan", 8)  # warm-up: imports, caches
            started = time.process_time()
            for _ in range(CPU_PLANS):
                await timed(path, running.url(1), "plan", 8)
            return (time.process_time() - started) / CPU_PLANS

        per_plan = asyncio.run(plans())
    return {"plans": CPU_PLANS, "cpu_ms": round(per_plan * 1000, 2)}


def startup() -> dict[str, Any]:
    """Section 4: ``psconfig --version``, best of 5."""
    command = [str(Path(sys.executable).with_name("psconfig")), "--version"]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return {"best_s": round(min(times), 3), "runs_s": [round(t, 3) for t in times]}


def machine() -> dict[str, Any]:
    model = "unknown"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine skews every figure; say how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def figures(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The table rows: each figure with its goal and whether it was met."""
    one, limit = data["one_district"], PLAN_ROUNDS * LATENCY_MS / 1000
    plan, seq = one["plan-parallel"], one["plan-sequential"]
    apply, apply_seq = one["apply-parallel"], one["apply-sequential"]
    speedup = seq["wall_s"] / plan["wall_s"]
    stale = (
        ""
        if plan["rounds"] == PLAN_ROUNDS
        else f"; the derivation says {PLAN_ROUNDS}: update it"
    )
    rows = [
        _row(
            "plan, 1 district, 50 ms/request",
            f"{plan['wall_s']:.2f} s, {plan['requests']} requests, "
            f"{plan['rounds']} rounds{stale} ({plan['wall_s'] / limit:.2f}x the "
            "limit)",
            f"<= 1.5x limit ({PLAN_ROUNDS} rounds = {limit:.2f} s)",
            plan["wall_s"] <= 1.5 * limit,
        ),
        _row(
            "plan vs sequential (max_connections=1)",
            f"{seq['wall_s']:.2f} s sequential: {speedup:.2f}x faster",
            ">= 3x faster",
            speedup >= 3,
        ),
        _row(
            "apply, 1 district, 50 ms/request",
            f"{apply['wall_s']:.2f} s, {apply['requests']} requests, "
            f"{apply['rounds']} rounds; sequential {apply_seq['wall_s']:.2f} s "
            f"({apply_seq['wall_s'] / apply['wall_s']:.2f}x)",
            "(no goal)",
            None,
        ),
    ]
    rows += _other_rows(data)
    return rows


def _other_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    fleet_data, cpu, start = data["fleet"], data["cpu"], data["startup"]
    ok = fleet_data["results"]["changes"] == FLEET_SIZE
    return [
        _row(
            f"fleet, {FLEET_SIZE} districts, 50 ms, parallelism {FLEET_PARALLELISM}",
            f"{fleet_data['wall_s']:.2f} s, {fleet_data['requests']} requests, "
            f"peak RSS {fleet_data['peak_rss_mib']:.0f} MiB"
            + ("" if ok else f" (results: {fleet_data['results']})"),
            "< 10 s",
            ok and fleet_data["wall_s"] < 10,
        ),
        _row(
            "CPU per district plan, no latency",
            f"{cpu['cpu_ms']:.1f} ms (mean of {cpu['plans']})",
            "< 20 ms",
            cpu["cpu_ms"] < 20,
        ),
        _row(
            "psconfig --version start-up",
            f"{start['best_s']:.3f} s (best of 5)",
            "< 0.3 s",
            start["best_s"] < 0.3,
        ),
    ]


def _row(measure: str, value: str, goal: str, met: bool | None) -> dict[str, Any]:
    return {"measure": measure, "value": value, "goal": goal, "met": met}


def table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table (it reads as plain text too, and goes into the README)."""
    lines = ["| measure | result | goal | |", "| --- | --- | --- | --- |"]
    for row in rows:
        status = {True: "MET", False: "MISSED", None: "-"}[row["met"]]
        lines.append(
            f"| {row['measure']} | {row['value']} | {row['goal']} | {status} |"
        )
    return "\n".join(lines)


def bench() -> dict[str, Any]:
    os.environ["PS_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    os.environ["CLEVER_SYNC_PASSWORD"] = SYNC_PASSWORD
    with tempfile.TemporaryDirectory(prefix="psconfig-bench-") as tmp:
        work = Path(tmp)
        data: dict[str, Any] = {
            "machine": machine(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "latency_ms": LATENCY_MS,
            "plan_limit_rounds": PLAN_ROUNDS,
            "startup": startup(),
            "cpu": cpu_per_plan(work),
            "one_district": one_district(work),
            "fleet": fleet(work),
        }
    data["figures"] = figures(data)
    return data


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--farm"]:
        serve_farm(Path(argv[1]), int(argv[2]))
        return 0
    if argv[:1] == ["--fleet"]:
        print(json.dumps(fleet_child(Path(argv[1]))))
        return 0
    data = bench()
    info = data["machine"]
    print(
        f"psconfig bench: {info['cpu']}, {info['cores']} cores, Python {info['python']}"
    )
    print(table(data["figures"]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
