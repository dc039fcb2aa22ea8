"""Stand-in for the ``psconfig`` console script in workflow tests.

Replays the result the test configured in ``$FAKE_STATE/psconfig.json`` (exit code,
stdout, stderr), records each call (argv and the secret variables it could see) in
``$FAKE_STATE/psconfig-calls.jsonl``, and writes an audit record when asked for
``--audit-log FILE``, as the real apply does.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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
    if "--audit-log" in argv:
        audit = Path(argv[argv.index("--audit-log") + 1])
        audit.write_text('{"event": "apply"}\n', encoding="utf-8")
    sys.stdout.write(config["stdout"])
    sys.stderr.write(config["stderr"])
    return int(config["exit"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
