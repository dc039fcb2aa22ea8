"""Stand-in for the ``psconfig`` console script in workflow tests.

Replays the result the test configured in ``$FAKE_STATE/psconfig.json`` (exit code,
stdout, stderr; per command and format when configured so, e.g. ``plan:json``),
records each call (argv and the secret variables it could see) in
``$FAKE_STATE/psconfig-calls.jsonl``, and writes an audit record when asked for
``--audit-log FILE``, as the real apply does.

It also stands in for the snapshot flags another part of psconfig provides:
``drift --snapshot-out FILE`` writes a snapshot file, and ``plan --live FILE``
fails (exit 1) when FILE is missing, as the real flags do.

With ``"real": true`` it runs this environment's real psconfig instead, after
emulating the snapshot flags: ``--snapshot-out`` writes a snapshot file and
``--live`` plans the (simulated) PowerSchool directly, with the sign-in variables
in ``live_env``, which is what a plan from a snapshot of that same state shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SECRET_NAMES = ("PS_ADMIN_USER", "PS_ADMIN_PASSWORD", "CLEVER_SYNC_PASSWORD")


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_STATE"])
    config = json.loads((state / "psconfig.json").read_text(encoding="utf-8"))
    call = {
        "argv": argv,
        "cwd": str(Path.cwd()),
        "env": {name: os.environ[name] for name in SECRET_NAMES if name in os.environ},
    }
    with (state / "psconfig-calls.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(call) + "\n")
    live, argv = _take(argv, "--live")
    _, argv = _take(argv, "--max-age")
    snapshot, argv = _take(argv, "--snapshot-out")
    if live is not None and not Path(live).is_file():
        sys.stderr.write(f"error: {live}: cannot read the snapshot\n")
        return 1
    if snapshot is not None:
        Path(snapshot).parent.mkdir(parents=True, exist_ok=True)
        Path(snapshot).write_text('{"snapshot": "fake"}\n', encoding="utf-8")
    if config.get("real"):
        return _real(argv, config, live is not None)
    result = _result(config, argv)
    if "--audit-log" in argv:
        audit = Path(argv[argv.index("--audit-log") + 1])
        audit.write_text('{"event": "apply"}\n', encoding="utf-8")
    sys.stdout.write(result["stdout"])
    sys.stderr.write(result["stderr"])
    return int(result["exit"])


def _take(argv: list[str], flag: str) -> tuple[str | None, list[str]]:
    """The value of ``flag`` and argv without it."""
    if flag not in argv:
        return None, argv
    at = argv.index(flag)
    return argv[at + 1], argv[:at] + argv[at + 2 :]


def _result(config: dict[str, Any], argv: list[str]) -> dict[str, Any]:
    """The configured result for this command (and format), else the default."""
    command = argv[0] if argv else ""
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else ""
    results: dict[str, Any] = config.get("by_command", {})
    found: dict[str, Any] = results.get(f"{command}:{fmt}") or results.get(
        command, config
    )
    return found


def _real(argv: list[str], config: dict[str, Any], from_snapshot: bool) -> int:
    env = dict(os.environ)
    if from_snapshot:
        env |= config.get("live_env", {})
    proc = subprocess.run([sys.executable, "-m", "psconfig", *argv], env=env)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
