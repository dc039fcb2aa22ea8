"""Every command the README and docs/ pages show in a shell block, run as written.

Each page's shell blocks (```sh, ```bash, ```console) run in order, in a fresh
directory of their own (with a copy of ``examples/`` and ``.venv`` linked to the
environment running the tests) and their own ``$PSCONFIG_HOME``, so the page's
``sim://`` servers start fresh and keep their state from one command to the next.
The README's commands run as subprocesses of the installed ``psconfig`` (the
newcomer's path, from ``init`` to ``drift``); the other pages' run in-process.

What a page may write, and what the test makes of it (for authors:
docs/project-layout.md, "Commands in the docs"):

- ``exit N`` in a command's comment (the first one): the exit code it must
  return. Without it, 0.
- ``# asks`` at the start of a comment: the command asks for confirmation; the test
  runs it on a terminal and answers ``y``.
- ``export NAME=...``: a literal ``...`` stands for your secret; the test puts
  ``SECRETS[NAME]`` there. Other values are expanded by ``sh``, as is each
  command line (quotes, ``$PWD``, ``$(date +%F)``); ``> FILE`` keeps stdout.
- The example servers in ``HOSTS`` (``https://ps.example.org``, ...) stand for
  the reader's: in commands and yaml blocks, the test puts a ``sim://`` server there.
- A ```yaml block whose first line is ``# NAME.yaml`` (or ``# NAME.yaml: what``)
  is written to NAME.yaml when the test reaches it; so is a ```jinja block whose
  first line is the template comment ``{# DIR/NAME.j2 #}``.
- A usage synopsis (a word with ``[`` or ``|``, one starting ``(`` or ending
  ``...``, or an upper-case placeholder such as ``SPEC`` or ``URL``; a line starting
  ``[`` continues it) is not run; test_docs.py checks its command and flags.
- A block in ``SCRIPTS`` runs whole under ``sh`` with ``psconfig`` on ``PATH`` and
  must exit 0.
- Anything else that cannot run here is listed in ``NOT_RUN`` by page and command
  with its reason: a new command that cannot run fails this test until it is made
  runnable or listed.

The secrets the specs reference (``SECRETS``) are set, as CI sets them, except on
the README, whose quickstart exports its own. Some pages need districts that they
only describe (``specs/``, an applied ``springfield.yaml``); ``SETUP`` makes them
with ``psconfig init`` and ``apply`` against ``sim://`` servers before the page's
commands run. ``AFTER`` checks what
the commands left behind. Exit-code tables and the sample outputs shown are checked
against psconfig's real codes and a real run.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from psconfig.cli import _register_all, app, common
from psconfig.engine.fleet.runner import EXIT_CODES
from psconfig.errors import (
    LockedOutError,
    LockHeldError,
    LoginError,
    PsconfigError,
    RefusedError,
    ServerError,
    SignInSchemeError,
    StalePlanError,
)

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^ *```(\w*)\n(.*?)^ *```", re.DOTALL | re.MULTILINE)
SHELLS = {"sh", "bash", "console"}
YAML_FILE = re.compile(r"# ([\w./-]+\.ya?ml)(?::.*)?")
JINJA_FILE = re.compile(r"\{# ([\w./-]+\.j2) #\}")
NAMED = {"yaml": YAML_FILE, "jinja": JINJA_FILE}
"""Blocks that are files when their first line names one."""
PLACEHOLDER = re.compile(r"^\(?[A-Z][A-Z0-9_]+(\.\.\.)?\)?$")

SECRETS = {
    "CLEVER_SYNC_PASSWORD": "docs-test-Cl3ver-sync-pass",
    # The simulator's demo administrator (docs/simulator.md): public.
    "PS_ADMIN_USER": "admin",
    "PS_ADMIN_PASSWORD": "psconfig-demo",
}
"""What a page's ``export NAME=...`` stands for, and what ``SETUP`` applies with."""

HOSTS = {
    "https://ps.springfield.k12.us": "sim://springfield",
    "https://ps.example.org": "sim://ps-example",
}
"""Example servers, in commands and yaml blocks, and the simulator standing in."""

SUBPROCESS_PAGES = {"README.md"}

SCRIPTS = {("ci.md", "code=0")}
"""Blocks (page, first line) that are shell scripts: run whole, must exit 0."""

_REBUILD = "builds .venv when missing; "
NOT_RUN: dict[tuple[str, str], str] = {
    ("README.md", "make demo"): _REBUILD
    + "the script it runs, examples/demo.sh, is tests/engine/test_demo.py's",
    ("README.md", "make test"): _REBUILD + "it is the whole test suite, this one too",
    (
        "README.md",
        "git clone --branch v0.1.0 https://github.com/OWNER/psconfig && cd psconfig",
    ): "network: a clone from GitHub",
    ("README.md", "sudo make install"): "root: installs to /opt and /usr/local/bin",
    (
        "README.md",
        'make install PREFIX="$HOME/.local/share/psconfig" BINDIR="$HOME/.local/bin"',
    ): "builds a second environment; tests/ci runs the action's install for real",
    ("README.md", "docker build -t registry.example.org/psconfig:0.1.0 ."): (
        "Docker: a daemon and the base image from a registry"
    ),
    (
        "README.md",
        'docker run --rm -v "$PWD/specs:/specs:ro" -e PS_ADMIN_USER -e '
        "PS_ADMIN_PASSWORD registry.example.org/psconfig:0.1.0 drift /specs",
    ): "Docker: needs the image built above",
    ("README.md", 'pipx install "git+https://github.com/OWNER/psconfig@v0.1.0"'): (
        "network: installs from GitHub"
    ),
    (
        "README.md",
        'python -m pip install "git+https://github.com/OWNER/psconfig@v0.1.0"',
    ): "network: installs from GitHub",
    ("performance.md", "make pytest PYTEST_ARGS=--slow"): (
        "the whole suite's slow profile (minutes)"
    ),
    (
        "verify.md",
        "psconfig rotate-password springfield.yaml --to-command "
        '"vault kv put secret/clever/sync password=-"',
    ): "needs a HashiCorp Vault; --out, just above it, runs",
}


def _init(spec: str, server: str, name: str | None = None) -> list[str]:
    named = ["--name", name] if name else []
    return ["init", spec, "--server", server, "--allowed-ip", "192.0.2.10", *named]


SETUP: dict[str, list[list[str]]] = {
    "ci.md": [_init("specs/springfield.yaml", "sim://springfield")],
    "fleet.md": [
        _init("specs/north/n1.yaml", "sim://north-1"),
        _init("specs/north/n2.yaml", "sim://north-2"),
        _init("specs/south/x.yaml", "sim://south-x"),
    ],
    "operator.md": [
        _init("specs/springfield.yaml", "sim://springfield", "springfield"),
        ["apply", "specs/springfield.yaml", "--auto-approve"],
    ],
    "verify.md": [
        _init("springfield.yaml", "sim://springfield", "springfield-usd"),
        ["apply", "springfield.yaml", "--auto-approve"],
    ],
}
"""The districts a page talks about without making them: psconfig commands."""


def _contains(path: str, text: str) -> None:
    assert text in Path(path).read_text(), f"{path} lacks {text!r}"


def _newcomer_path(session: Session) -> None:
    """README: init, validate, plan against sim://, apply and drift all ran."""
    words = [command.split()[1] for command in session.ran]
    assert words == ["init", "validate", "plan", "apply", "plan", "drift"], words
    # apply asked on the terminal, was answered, and applied.
    applied = session.outputs["psconfig apply springfield.yaml"]
    assert "Apply these changes to sim://springfield?" in applied, applied
    assert "Apply complete" in applied, applied
    assert "(docs/first-run.md)" in (REPO / "README.md").read_text()


def _first_run(session: Session) -> None:
    """The first-run steps ran, doctor wrote the site map, init the spec."""
    words = [command.split()[1] for command in session.ran]
    assert words == ["doctor", "doctor", "init", "validate", "plan", "apply"], words
    assert json.loads(Path("site-map.json").read_text())
    assert "Apply complete" in session.outputs["psconfig apply spec.yaml"]


def _verify_after(session: Session) -> None:
    evidence = list(Path().glob("verify-*.json"))
    assert len(evidence) == 1, evidence
    _contains(evidence[0].name, '"passed": true')
    rotated = Path("secrets/clever-sync")
    assert rotated.stat().st_mode & 0o777 == 0o600
    assert len(rotated.read_text().strip()) >= 24


AFTER: dict[str, Callable[[Session], None]] = {
    "README.md": _newcomer_path,
    "first-run.md": _first_run,
    "ci.md": lambda _: _contains("plan.md", "<!-- psconfig:plan name=springfield -->"),
    "least-privilege.md": lambda _: _contains("pkg/plugin.xml", "<oauth"),
    "operator.md": lambda _: _contains("report.html", "springfield"),
    "verify.md": _verify_after,
}
"""What a page's commands left behind (run in the page's directory)."""


# ---------------------------------------------------------------------------
# Reading pages


@dataclass(frozen=True)
class Command:
    """One command line of a shell block (continuations joined)."""

    page: str
    text: str
    comment: str

    @property
    def expected_exit(self) -> int:
        found = re.search(r"\bexit (\d+)\b", self.comment)
        return int(found.group(1)) if found else 0

    @property
    def asks(self) -> bool:
        return re.match(r"asks\b", self.comment) is not None

    @property
    def synopsis(self) -> bool:
        try:
            words = shlex.split(self.text)
        except ValueError:
            return False
        return any(
            any(c in word for c in "[|") or word.startswith("(") or word.endswith("...")
            for word in words
        ) or any(PLACEHOLDER.match(word) for word in words[1:])


@dataclass(frozen=True)
class Block:
    """A shell block: its commands, or the whole text when it is a script."""

    page: str
    text: str
    commands: tuple[Command, ...]

    @property
    def script(self) -> bool:
        first = self.text.strip().splitlines()[0]
        return (self.page, first) in SCRIPTS


@dataclass(frozen=True)
class YamlFile:
    """A yaml (or Jinja) block that names the file it is."""

    name: str
    text: str


def _commands(page: str, text: str) -> tuple[Command, ...]:
    found: list[Command] = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        command, _, comment = line.partition(" #")
        command = " ".join(command.split())
        if command.startswith("[") and found:  # a synopsis's next line
            last = found.pop()
            command = f"{last.text} {command}"
        found.append(Command(page, command, comment.strip()))
    return tuple(found)


def page_items(page: Path) -> list[Block | YamlFile]:
    """A page's shell blocks and named yaml blocks, in order."""
    items: list[Block | YamlFile] = []
    for lang, body in FENCE.findall(page.read_text()):
        if lang in SHELLS:
            items.append(Block(page.name, body, _commands(page.name, body)))
        elif lang in NAMED and (named := NAMED[lang].fullmatch(body.splitlines()[0])):
            items.append(YamlFile(named.group(1), body))
    return items


def every_command() -> list[Command]:
    return [
        c
        for page in PAGES
        for item in page_items(page)
        if isinstance(item, Block)
        for c in item.commands
    ]


# ---------------------------------------------------------------------------
# Running them


@dataclass
class Session:
    """One page's run: its directory, the variables its exports set, its outputs."""

    page: str
    workdir: Path
    exports: dict[str, str] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.exports}

    def shell(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", script],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def expand(self, text: str) -> list[str]:
        """The words ``sh`` makes of a command line (quotes, variables, $(...))."""
        done = self.shell(f"printf '%s\\0' {text}")
        assert done.returncode == 0, f"{self.page}: {text}: {done.stderr}"
        return done.stdout.split("\0")[:-1]

    def export(self, text: str) -> None:
        def secret(found: re.Match[str]) -> str:
            return f"{found.group(1)}={shlex.quote(SECRETS[found.group(1)])}"

        text = re.sub(r"\b([A-Z_][A-Z0-9_]*)=\.\.\.(?=\s|$)", secret, text)
        done = self.shell(f"{text}\nenv -0")
        assert done.returncode == 0, f"{self.page}: {text}: {done.stderr}"
        after = dict(v.split("=", 1) for v in done.stdout.split("\0") if "=" in v)
        for name in re.findall(r"\b([A-Za-z_]\w*)=", text):
            self.exports[name] = after[name]

    def psconfig(self, command: Command) -> tuple[int, str, str]:
        text, redirect = _on_sim(command.text), None
        if found := re.search(r"\s>\s*(\S+)$", text):
            text, redirect = text[: found.start()], found.group(1)
        argv = self.expand(text)
        if self.page in SUBPROCESS_PAGES:
            code, out, err = self._subprocess(argv, command.asks)
        else:
            code, out, err = self.in_process(argv[1:], command.asks)
        if redirect:
            (self.workdir / redirect).write_text(out)
        self.ran.append(command.text)
        self.outputs[command.text] = out
        return code, out, err

    def _subprocess(self, argv: list[str], asks: bool) -> tuple[int, str, str]:
        found = shutil.which("psconfig", path=self.env["PATH"])
        assert found, f"{self.page}: psconfig is not on the PATH the page sets"
        terminal, answer = pty.openpty() if asks else (None, None)
        if terminal is not None:
            os.write(terminal, b"y\n")
        try:
            done = subprocess.run(
                [found, *argv[1:]],
                cwd=self.workdir,
                env=self.env,
                stdin=answer if answer is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            for fd in (terminal, answer):
                if fd is not None:
                    os.close(fd)
        return done.returncode, done.stdout, done.stderr

    def in_process(self, args: list[str], asks: bool) -> tuple[int, str, str]:
        _register_all()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(common, "stdin_is_tty", lambda: asks)
            done = CliRunner().invoke(
                app, args, env=self.exports, input="y\n" if asks else None
            )
        return done.exit_code, done.stdout, done.stderr

    def run_block(self, block: Block) -> None:
        if block.script:
            bin_dir = str(Path(sys.prefix) / "bin")
            self.exports.setdefault(
                "PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
            )
            done = self.shell(block.text)
            assert done.returncode == 0, (
                f"{self.page}: script:\n{block.text}\n{done.stderr}"
            )
            return
        for command in block.commands:
            word = command.text.split()[0]
            if (self.page, command.text) in NOT_RUN:
                continue
            if word == "export":
                self.export(command.text)
            elif word == "psconfig" and command.synopsis:
                continue
            elif word == "psconfig":
                code, out, err = self.psconfig(command)
                assert code == command.expected_exit, (
                    f"{self.page}: `{command.text}` exited {code}, the page says "
                    f"{command.expected_exit}\n{_tail(out)}\n{_tail(err)}"
                )
            else:
                pytest.fail(
                    f"{self.page}: `{command.text}` cannot run here: make it "
                    "runnable or list it in NOT_RUN with the reason"
                )

    def write(self, item: YamlFile) -> None:
        text = _on_sim(item.text)
        path = self.workdir / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _on_sim(text: str) -> str:
    for host, sim in HOSTS.items():
        text = text.replace(host, sim)
    return text


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _workspace(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)


RUN_PAGES = [p for p in PAGES if any(isinstance(i, Block) for i in page_items(p))]


@pytest.mark.parametrize("page", RUN_PAGES, ids=[p.name for p in RUN_PAGES])
def test_every_command_on_the_page_runs_as_shown(page: Path, tmp_path: Path) -> None:
    _workspace(tmp_path)
    session = Session(page.name, tmp_path)
    if page.name not in SUBPROCESS_PAGES:
        session.exports.update(SECRETS)
    for args in SETUP.get(page.name, []):
        code, out, err = session.in_process(args, asks=False)
        assert code == 0, f"setup {args}: {out}{err}"
    for item in page_items(page):
        if isinstance(item, YamlFile):
            session.write(item)
        else:
            session.run_block(item)
    if page.name in AFTER:
        AFTER[page.name](session)


def test_not_run_lists_only_commands_the_pages_show() -> None:
    """NOT_RUN holds no stale entry, and no synopsis (those are never run)."""
    shown = {(c.page, c.text) for c in every_command()}
    assert set(NOT_RUN) <= shown, set(NOT_RUN) - shown
    for page, text in NOT_RUN:
        listed = Command(page, text, "")
        assert not (text.startswith("psconfig ") and listed.synopsis), (page, text)


# ---------------------------------------------------------------------------
# Exit codes the pages state


def _interrupted_code() -> int:
    with pytest.raises(typer.Exit) as stopped, common.handle_errors():
        raise KeyboardInterrupt
    return stopped.value.exit_code


MEANINGS = {
    "no changes": EXIT_CODES["clean"],
    "no drift": EXIT_CODES["clean"],
    "changes pending": EXIT_CODES["changes"],
    "drift found": EXIT_CODES["drift"],
    "error": PsconfigError.exit_code,
    # A sign-in PowerSchool refused is an error; psconfig refusing is a refusal.
    r"(?<!sign-in )refused": RefusedError.exit_code,
    "stale plan": StalePlanError.exit_code,
    "lock held": LockHeldError.exit_code,
    "interrupted": -1,  # filled in by the test: the code Ctrl-C gives
}
"""Phrases (regexes) the exit-code tables use, and psconfig's real code for each."""


def _tables(page: Path) -> list[list[dict[str, str]]]:
    """The page's Markdown tables that have an ``exit`` column, as rows."""
    tables = []
    for found in re.finditer(r"(?:^\|.*\|\n)+", page.read_text(), re.MULTILINE):
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in found.group(0).splitlines()
        ]
        if "exit" in rows[0]:
            tables.append([dict(zip(rows[0], row, strict=True)) for row in rows[2:]])
    return tables


EXIT_TABLES = ["plan-apply-drift.md", "ci.md", "fleet.md"]


@pytest.mark.parametrize("name", EXIT_TABLES)
def test_exit_code_tables_match_psconfigs_codes(name: str) -> None:
    meanings = {**MEANINGS, "interrupted": _interrupted_code()}
    (table,) = _tables(REPO / "docs" / name)
    for row in table:
        code = int(row["exit"])
        text = " ".join(v for k, v in row.items() if k != "exit").lower()
        for phrase, real in meanings.items():
            if re.search(rf"\b{phrase}\b", text):
                assert code == real, (
                    f"{name}: exit {code}: {text!r} ({phrase!r} is {real})"
                )
        if "result" in row:
            assert EXIT_CODES[row["result"].strip("`")] == code, row  # type: ignore[index]
    shown = {int(row["exit"]) for row in table}
    if "result" in table[0]:
        assert {row["result"].strip("`") for row in table} == set(EXIT_CODES)
    else:
        codes = {*EXIT_CODES.values(), PsconfigError.exit_code, RefusedError.exit_code}
        assert shown == codes | {meanings["interrupted"]}, name


def test_exit_codes_in_prose_match_psconfigs_codes() -> None:
    meanings = {**MEANINGS, "interrupted": _interrupted_code()}
    found = re.findall(
        r"^Exit codes: (.*?)\n\n",
        (REPO / "docs" / "verify.md").read_text(),
        re.MULTILINE | re.DOTALL,
    )
    assert len(found) == 2, found  # verify's and rotate-password's
    for paragraph in found:
        for code, text in re.findall(r"\*\*(\d+)\*\* ([^*]*)", paragraph):
            for phrase, real in meanings.items():
                if re.search(rf"\b{phrase}\b", text.lower()):
                    assert int(code) == real, f"verify.md: **{code}** {text}"


# ---------------------------------------------------------------------------
# Sample outputs the pages show


def _sample(page: str, first: str, lang: str = "text") -> list[str]:
    """The lines of the page's ``lang`` block that starts with ``first``."""
    for found_lang, body in FENCE.findall((REPO / "docs" / page).read_text()):
        body = textwrap.dedent(body)  # a block inside a list item is indented
        if found_lang == lang and body.startswith(first):
            return body.splitlines()
    raise AssertionError(f"{page}: no {lang} block starting {first!r}")


TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ELIDED = re.compile(r"\.\.\.|…")


def _matches(shown: str, real: str) -> bool:
    """A shown line is the real one; ``...`` inside it elides a middle part."""
    shown, real = TIME.sub("TIME", shown.rstrip()), TIME.sub("TIME", real.rstrip())
    if not ELIDED.search(shown.strip("`")):
        return shown == real
    head, *_, tail = ELIDED.split(shown)
    return real.startswith(head) and real.endswith(tail) and len(real) > len(head)


def _shown_in_order(sample: list[str], output: str, where: str) -> None:
    """Every line of ``sample`` is a line of ``output``, in the same order.

    A line that is only ``...`` (or ``…``) stands for lines left out; times may
    differ.
    """
    lines = output.splitlines()
    at = 0
    for line in sample:
        if ELIDED.fullmatch(line.strip()) or not line.strip():
            continue
        found = [i for i in range(at, len(lines)) if _matches(line, lines[i])]
        assert found, f"{where}: not in the real output: {line!r}\n{output}"
        at = found[0] + 1


def _run(session: Session, text: str) -> tuple[int, str, str]:
    return session.psconfig(Command(session.page, text, ""))


def test_the_plan_shown_is_a_real_plan_of_the_demo(tmp_path: Path) -> None:
    _workspace(tmp_path)
    session = Session("plan-apply-drift.md", tmp_path, dict(SECRETS))
    code, out, err = _run(session, "psconfig plan examples/demo.yaml")
    assert code == 2, err
    _shown_in_order(_sample("plan-apply-drift.md", "psconfig plan: demo"), out, "plan")


def _health_log_granted(session: Session) -> None:
    """Apply the demo, then give its export group the Health log by hand."""
    code, _, err = _run(session, "psconfig apply examples/demo.yaml --auto-approve")
    assert code == 0, err
    state = session.workdir / ".psconfig" / "sim" / "demo.json"
    live = json.loads(state.read_text())
    (group,) = (g for g in live["groups"] if g["number"] == 12)
    group["log_types"].append("health")
    state.write_text(json.dumps(live))


def test_the_verify_and_drift_reports_shown_are_real_reports(tmp_path: Path) -> None:
    """verify.md's failed verify and plan-apply-drift.md's drift comment, for real."""
    _workspace(tmp_path)
    session = Session("verify.md", tmp_path, dict(SECRETS))
    _health_log_granted(session)
    code, out, err = _run(session, "psconfig verify examples/demo.yaml")
    assert code == 1, err
    _shown_in_order(_sample("verify.md", "psconfig verify: demo"), out, "verify")
    code, out, err = _run(
        session, "psconfig drift examples/demo.yaml --format markdown"
    )
    assert code == EXIT_CODES["drift"], err
    shown = _sample("plan-apply-drift.md", "<!-- psconfig:drift", "markdown")
    _shown_in_order(shown, out, "drift --format markdown")


def _columns(line: str) -> list[str]:
    return line.split()


def test_the_fleet_outputs_shown_have_the_real_shape(tmp_path: Path) -> None:
    """fleet.md's progress lines, summary table and JSON document, for real."""
    session = Session("fleet.md", tmp_path, dict(SECRETS))
    for args in SETUP["fleet.md"][:2]:
        assert session.in_process(args, asks=False)[0] == 0
    code, out, err = _run(session, "psconfig plan specs/")
    assert code == EXIT_CODES["changes"], err
    progress = re.compile(r"plan \[\d+/\d+\] \S+ \(\S+\): \w+(, [^,]+)*, [\d.]+ s")
    shown = _sample("fleet.md", "plan [1/5]")
    assert progress.fullmatch(shown[0].strip()), shown[0]
    lines = err.splitlines()
    assert len(lines) == 2 and all(progress.fullmatch(line) for line in lines), err
    table, real = _sample("fleet.md", "District"), out.splitlines()
    assert _columns(table[0]) == _columns(real[0]), real[0]
    summary = re.compile(r"\d+ districts: [^.]+\. [\d.]+ s at parallelism \d+\.")
    assert summary.fullmatch(table[-1]), table[-1]
    assert summary.fullmatch(next(line for line in real if "districts:" in line))

    code, out, err = _run(session, "psconfig plan specs/ --format json")
    document = json.loads(out)
    shown_doc = json.loads("\n".join(_sample("fleet.md", "{", "json")))
    assert set(shown_doc) == set(document)
    assert set(shown_doc["summary"]) == set(document["summary"])
    for district in shown_doc["districts"]:
        assert set(district) == set(document["districts"][0])


def test_sign_in_failures_exit_as_troubleshooting_says() -> None:
    page = (REPO / "docs" / "troubleshooting.md").read_text()
    code = int(re.findall(r"All exit with code (\d+)", page)[0])
    for error in (LoginError, LockedOutError, SignInSchemeError, ServerError):
        assert error("x").exit_code == code, error


BROKEN_EXPORT_GROUP = """\
psconfig: 1
name: springfield-usd
server:
  url: sim://springfield
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
security_groups:
  - number: 12
    name: Read-Only Export
    log_types: [health]
"""
"""A spec breaking the rules spec.md's validate samples show (PS002, PS011)."""


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_the_validate_problems_shown_are_real_problems(
    fmt: str, tmp_path: Path
) -> None:
    """spec.md's sample lines, but for their line and column numbers."""
    (tmp_path / "springfield.yaml").write_text(BROKEN_EXPORT_GROUP)
    session = Session("spec.md", tmp_path)
    code, out, _ = _run(session, f"psconfig validate springfield.yaml --format {fmt}")
    assert code == 1
    first = "springfield.yaml:" if fmt == "text" else "::error"
    numbers = re.compile(r"\d+")
    real = {numbers.sub("N", line) for line in out.splitlines()}
    for line in _sample("spec.md", first):
        assert numbers.sub("N", line) in real, f"spec.md: {line!r} not in\n{out}"


def _keys(document: object) -> object:
    """The key structure of a JSON value: nested keys, no values."""
    if isinstance(document, dict):
        return {key: _keys(value) for key, value in document.items()}
    return None


def test_the_audit_record_and_snapshot_shown_have_the_real_keys(
    tmp_path: Path,
) -> None:
    """plan-apply-drift.md's audit record and least-privilege.md's snapshot."""
    _workspace(tmp_path)
    session = Session("plan-apply-drift.md", tmp_path, dict(SECRETS))
    code, _, err = _run(session, "psconfig apply examples/demo.yaml --auto-approve")
    assert code == 0, err
    records = (tmp_path / ".psconfig" / "audit.jsonl").read_text().splitlines()
    change = next(r for r in map(json.loads, records) if r["event"] == "change")
    (shown,) = _sample("plan-apply-drift.md", '{"time"', "json")
    assert _keys(json.loads(shown)) == _keys(change)

    code, _, err = _run(
        session, "psconfig drift examples/demo.yaml --snapshot-out s.json"
    )
    assert code == 0, err
    real = json.loads((tmp_path / "s.json").read_text())
    text = "\n".join(_sample("least-privilege.md", '{"format"', "json"))
    shown_doc = json.loads(text.replace("[…]", "[]").replace("{…}", "{}"))
    assert set(shown_doc) == set(real)
    assert set(shown_doc["target"]) == set(real["target"])
    assert set(shown_doc["state"]) == set(real["state"])
    assert all(set(read) == set(real["reads"][0]) for read in shown_doc["reads"])


def test_the_readme_spec_validates(tmp_path: Path) -> None:
    """The spec the README shows for a real server is valid as it stands."""
    readme = (REPO / "README.md").read_text()
    (spec,) = [body for lang, body in FENCE.findall(readme) if lang == "yaml"][:1]
    (tmp_path / "springfield.yaml").write_text(spec)
    session = Session("README.md", tmp_path)
    code, out, err = session.in_process(["validate", "springfield.yaml"], asks=False)
    assert code == 0, out + err
    assert "0 errors, 0 warnings" in err, err
