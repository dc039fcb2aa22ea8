"""Stand-in for the GitHub CLI (``gh``) in workflow tests, backed by a JSON file.

It implements exactly the ``gh`` calls our example workflows make, against one
repository's pull-request comments, issues, labels, pull requests (their labels,
label events and merge commits), collaborators' permissions and workflow runs with
their artifacts, kept in ``$FAKE_STATE/github.json``, with the real CLI's
observable behaviour: ``GH_TOKEN``
and ``GH_REPO`` are required, ``--jq`` prints strings raw (delegated to ``jq``),
``api --paginate`` applies ``--jq`` page by page (pages of two here, so paging is
exercised), ``-F key=@file`` reads the file, an issue cannot get a missing label.
A call it does not know exits 2, so the test fails instead of passing quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BOT = "github-actions[bot]"
PAGE_SIZE = 2
NO_TOKEN = (
    "To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment"
    " variable."
)


class GhError(Exception):
    """Ends the fake with the real CLI's message and exit code 1."""


def main(argv: list[str]) -> int:
    if not os.environ.get("GH_TOKEN"):
        print(f"gh: {NO_TOKEN}", file=sys.stderr)
        return 4
    state = Path(os.environ["FAKE_STATE"])
    store = state / "github.json"
    data: dict[str, Any] = json.loads(store.read_text(encoding="utf-8"))
    with (state / "gh-calls.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    args = _parser().parse_args(argv)
    write = args.write if args.write is not None else args.method.upper() != "GET"
    try:
        if data.get("fail_writes") and write:
            raise GhError("HTTP 403: Resource not accessible by integration")
        args.handler(args, data)
    except GhError as exc:
        print(f"gh: {exc}", file=sys.stderr)
        return 1
    store.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gh")
    commands = parser.add_subparsers(required=True)
    api = commands.add_parser("api")
    api.add_argument("endpoint")
    api.add_argument("--method", "-X", default="GET")
    api.add_argument("--paginate", action="store_true")
    api.add_argument("--jq", "-q")
    api.add_argument("--field", "-F", action="append", default=[])
    api.add_argument("--silent", action="store_true")
    api.set_defaults(handler=_api, write=None)
    issue = commands.add_parser("issue").add_subparsers(required=True)
    for name, handler, write in _ISSUE_COMMANDS:
        sub = issue.add_parser(name)
        sub.set_defaults(handler=handler, write=write)
        for flag in _ISSUE_FLAGS[name]:
            if flag == "--label":
                sub.add_argument(flag, action="append")
            else:
                sub.add_argument(flag)
    run = commands.add_parser("run").add_subparsers(required=True)
    run_list = run.add_parser("list")
    for flag in ("--workflow", "--branch", "--commit", "--event", "--status"):
        run_list.add_argument(flag)
    run_list.add_argument("--limit", type=int, default=20)
    run_list.add_argument("--json", required=True)
    run_list.add_argument("--jq", "-q")
    run_list.set_defaults(handler=_run_list, write=False)
    run_view = run.add_parser("view")
    run_view.add_argument("run_id")
    run_view.add_argument("--json", required=True)
    run_view.add_argument("--jq", "-q")
    run_view.set_defaults(handler=_run_view, write=False)
    download = run.add_parser("download")
    download.add_argument("run_id")
    download.add_argument("--name", "-n", required=True)
    download.add_argument("--dir", "-D", default=".")
    download.set_defaults(handler=_run_download, write=False)
    label = commands.add_parser("label").add_subparsers(required=True)
    create = label.add_parser("create")
    create.add_argument("name")
    create.add_argument("--force", action="store_true")
    create.add_argument("--color")
    create.add_argument("--description")
    create.set_defaults(handler=_label_create, write=True)
    return parser


class _Parser(argparse.ArgumentParser):
    """Exits 2 with the reason on any call the fake does not know."""

    def error(self, message: str) -> Any:
        print(f"fake gh: unsupported call: {message}", file=sys.stderr)
        raise SystemExit(2)


def _jq(query: str | None, value: Any) -> str:
    if query is None:
        return json.dumps(value) + "\n"
    jq = shutil.which("jq")
    if jq is None:
        raise GhError("the fake needs jq on PATH to evaluate --jq")
    proc = subprocess.run(
        [jq, "-r", query], input=json.dumps(value), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise GhError(f"jq: {proc.stderr.strip()}")
    return proc.stdout


def _repo_path(endpoint: str) -> str:
    prefix = f"repos/{os.environ.get('GH_REPO', '')}/"
    if not os.environ.get("GH_REPO") or not endpoint.startswith(prefix):
        raise GhError(f"endpoint {endpoint!r} is not in GH_REPO")
    return endpoint.removeprefix(prefix)


def _fields(raw: list[str]) -> dict[str, str]:
    fields = {}
    for item in raw:
        key, value = item.split("=", 1)
        if value.startswith("@"):
            value = Path(value[1:]).read_text(encoding="utf-8")
        fields[key] = value
    return fields


def _api(args: argparse.Namespace, data: dict[str, Any]) -> None:
    path, method = _repo_path(args.endpoint), args.method.upper()
    comments: dict[str, list[dict[str, Any]]] = data.setdefault("comments", {})
    if match := re.fullmatch(r"issues/(\d+)/comments", path):
        thread = comments.setdefault(match[1], [])
        if method == "GET":
            pages = [
                thread[i : i + PAGE_SIZE] for i in range(0, len(thread), PAGE_SIZE)
            ]
            for page in (pages or [[]])[: None if args.paginate else 1]:
                sys.stdout.write(_jq(args.jq, page))
            return
        if method == "POST":
            comment = {"id": _next_id(data), "user": {"login": BOT}}
            thread.append(comment | _fields(args.field))
            return _respond(args, thread[-1])
    if method == "GET" and (found := _read_only(path, data)) is not None:
        if not isinstance(found, list):
            sys.stdout.write(_jq(args.jq, found))
            return
        pages = [found[i : i + PAGE_SIZE] for i in range(0, len(found), PAGE_SIZE)]
        for page in (pages or [[]])[: None if args.paginate else 1]:
            sys.stdout.write(_jq(args.jq, page))
        return
    if (match := re.fullmatch(r"issues/comments/(\d+)", path)) and method == "PATCH":
        for comment in (c for thread in comments.values() for c in thread):
            if comment["id"] == int(match[1]):
                comment.update(_fields(args.field))
                return _respond(args, comment)
        raise GhError("HTTP 404: Not Found")
    raise GhError(f"fake gh: unsupported api call {method} {path}")


def _read_only(path: str, data: dict[str, Any]) -> Any:
    """GET of a pull request's facts: None when ``path`` is not one of them."""
    pulls: list[dict[str, Any]] = data.setdefault("pulls", [])
    if match := re.fullmatch(r"commits/(\w+)/pulls", path):
        return [
            p for p in pulls if match[1] in (p["merge_commit_sha"], p["head"]["sha"])
        ]
    if match := re.fullmatch(r"issues/(\d+)", path):
        for pull in pulls:
            if pull["number"] == int(match[1]):
                return {"number": pull["number"], "labels": pull["labels"]}
        raise GhError("HTTP 404: Not Found")
    if match := re.fullmatch(r"issues/(\d+)/events", path):
        return list(data.setdefault("events", {}).get(match[1], []))
    if match := re.fullmatch(r"collaborators/([^/]+)/permission", path):
        permission = data.setdefault("permissions", {}).get(match[1], "none")
        return {"permission": permission, "user": {"login": match[1]}}
    return None


def _runs(data: dict[str, Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = data.setdefault("runs", [])
    return runs


def _run(data: dict[str, Any], run_id: str) -> dict[str, Any]:
    for run in _runs(data):
        if str(run["databaseId"]) == run_id:
            return run
    raise GhError(f"could not find any workflow run with ID {run_id}")


def _run_list(args: argparse.Namespace, data: dict[str, Any]) -> None:
    wanted = {
        "path": args.workflow,
        "headBranch": args.branch,
        "headSha": args.commit,
        "event": args.event,
        "conclusion": args.status,
    }
    found = [
        run
        for run in reversed(_runs(data))  # newest first, like gh
        if all(
            value is None
            or (run[key].rsplit("/", 1)[-1] if key == "path" else run[key]) == value
            for key, value in wanted.items()
        )
    ]
    fields = args.json.split(",")
    rows = [{key: run[key] for key in fields} for run in found[: args.limit]]
    sys.stdout.write(_jq(args.jq, rows))


def _run_view(args: argparse.Namespace, data: dict[str, Any]) -> None:
    run = _run(data, args.run_id)
    sys.stdout.write(_jq(args.jq, {key: run[key] for key in args.json.split(",")}))


def _run_download(args: argparse.Namespace, data: dict[str, Any]) -> None:
    files = _run(data, args.run_id).get("artifacts", {}).get(args.name)
    if files is None:
        raise GhError("no valid artifacts found to download")
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _respond(args: argparse.Namespace, value: Any) -> None:
    """Print the response body, as gh does unless --silent."""
    if not args.silent:
        sys.stdout.write(_jq(args.jq, value))


def _next_id(data: dict[str, Any]) -> int:
    data["next_id"] = int(data.get("next_id", 1000)) + 1
    return int(data["next_id"])


def _find(data: dict[str, Any], number: str) -> dict[str, Any]:
    issues: list[dict[str, Any]] = data.setdefault("issues", [])
    for issue in issues:
        if issue["number"] == int(number):
            return issue
    raise GhError(f"issue {number} not found")


def _issue_list(args: argparse.Namespace, data: dict[str, Any]) -> None:
    wanted = set(args.label or [])
    found = [
        i
        for i in reversed(data.setdefault("issues", []))  # newest first, like gh
        if i["state"] == (args.state or "open") and wanted <= set(i["labels"])
    ]
    fields = args.json.split(",")
    rows = [{key: issue[key] for key in fields} for issue in found]
    sys.stdout.write(_jq(args.jq, rows[: int(args.limit or 30)]))


def _issue_create(args: argparse.Namespace, data: dict[str, Any]) -> None:
    for label in args.label or []:
        if label not in data.setdefault("labels", {}):
            raise GhError(f"could not add label: '{label}' not found")
    number = len(data.setdefault("issues", [])) + 1
    body = Path(args.body_file).read_text(encoding="utf-8")
    data["issues"].append(
        {"number": number, "title": args.title, "body": body, "state": "open"}
        | {"labels": args.label or [], "comments": []}
    )
    print(f"https://github.com/{os.environ['GH_REPO']}/issues/{number}")


def _issue_edit(args: argparse.Namespace, data: dict[str, Any]) -> None:
    issue = _find(data, args.number)
    if args.title:
        issue["title"] = args.title
    if args.body_file:
        issue["body"] = Path(args.body_file).read_text(encoding="utf-8")


def _issue_view(args: argparse.Namespace, data: dict[str, Any]) -> None:
    issue = _find(data, args.number)
    sys.stdout.write(_jq(args.jq, {key: issue[key] for key in args.json.split(",")}))


def _issue_close(args: argparse.Namespace, data: dict[str, Any]) -> None:
    issue = _find(data, args.number)
    issue["state"] = "closed"
    issue["state_reason"] = args.reason
    if args.comment:
        issue["comments"].append(args.comment)


def _issue_comment(args: argparse.Namespace, data: dict[str, Any]) -> None:
    _find(data, args.number)["comments"].append(args.body)


def _label_create(args: argparse.Namespace, data: dict[str, Any]) -> None:
    labels = data.setdefault("labels", {})
    if args.name in labels and not args.force:
        raise GhError(f"label with name {args.name!r} already exists; use --force")
    labels[args.name] = {"color": args.color, "description": args.description}


_ISSUE_COMMANDS = (
    ("list", _issue_list, False),
    ("create", _issue_create, True),
    ("edit", _issue_edit, True),
    ("view", _issue_view, False),
    ("close", _issue_close, True),
    ("comment", _issue_comment, True),
)
_ISSUE_FLAGS = {
    "list": ("--label", "--state", "--json", "--jq", "--limit"),
    "create": ("--title", "--label", "--body-file"),
    "edit": ("number", "--title", "--body-file"),
    "view": ("number", "--json", "--jq"),
    "close": ("number", "--reason", "--comment"),
    "comment": ("number", "--body"),
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
