r"""Jinja2 for psconfig's documents: one loader, one way to fail, two escapings.

A directory an operator gives (``--template DIR``) is searched before the built-in
templates, so a file there of a built-in's name replaces it, and
``{% extends "psconfig/NAME" %}`` reaches the built-in one to override its blocks.

Every value a template prints is escaped unless it is already markup, the
operator's templates included:

- HTML (``psconfig report``): Jinja2's autoescape.
- Markdown (the pull-request comment): ``md`` escaping through ``finalize``. Text
  from PowerSchool or a pull request (group and staff names, paths, messages) can
  then never close a code span, split a table cell, open an HTML comment or tag,
  start a link, mention somebody (``@team``) or begin a new line. Markdown that
  psconfig built itself is a ``MarkdownText`` and printed as it is; the filters
  ``md`` (inline text), ``md_code`` (inside a code span; ``md_code(cell=True)`` in a
  table cell), ``md_comment`` (inside an HTML comment) and ``md_raw`` (trust this
  value as Markdown) choose another escaping, or none.

Templates run in Jinja2's sandbox: they read the values they are given and nothing
of Python's internals (``__class__`` and the like), whoever last edited them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import jinja2
import jinja2.sandbox

from psconfig.errors import PsconfigError

BUILTIN = Path(__file__).resolve().parent / "templates"
"""The built-in templates' directory."""

Escaping = Literal["html", "markdown"]


class MarkdownText(str):
    """Markdown psconfig built or escaped: printed as it is, never escaped again."""

    __slots__ = ()


# A mention is ``@`` after a non-word character (so ``a@b.org`` is not one).
_MENTION = re.compile(r"(?<![\w@])@(?=[\w-])")
_NEWLINES = re.compile(r"[\r\n]+")
# An ``&`` that starts a character reference (``&#64;``, ``&lt;``) is written as
# ``&amp;``, so the reference shows as text rather than becoming what it encodes.
_REFERENCE = re.compile(r"&(?=#?\w+;)")


def md(value: object) -> MarkdownText:
    r"""``value`` as inert inline Markdown text (also safe in a table cell).

    Escapes ``\``, ``|``, ``*`` and the ``(`` of ``](``; writes a backtick as
    ``'`` (as every psconfig table always has), ``<`` as ``&lt;``, the ``&`` of a
    character reference as ``&amp;``, a mention's ``@`` with a zero-width space
    after it (``@&#8203;``) and a line break as a space.
    """
    if isinstance(value, MarkdownText):
        return value
    text = _REFERENCE.sub("&amp;", _NEWLINES.sub(" ", str(value)))
    text = text.replace("\\", "\\\\").replace("`", "'").replace("|", "\\|")
    text = text.replace("*", "\\*").replace("<", "&lt;").replace("](", "]\\(")
    return MarkdownText(_MENTION.sub("@&#8203;", text))


def md_code(value: object, cell: bool = False) -> MarkdownText:
    r"""``value`` inside a code span: no backtick, no line break.

    In a code span nothing else is interpreted; in a table cell (``cell=True``)
    ``\`` and ``|`` are escaped too, or the pipe would end the cell.
    """
    text = _NEWLINES.sub(" ", str(value)).replace("`", "'")
    if cell:
        text = text.replace("\\", "\\\\").replace("|", "\\|")
    return MarkdownText(text)


def md_comment(value: object) -> MarkdownText:
    """``value`` inside an HTML comment: nothing that ends it, no line break."""
    text = _NEWLINES.sub(" ", str(value))
    while "--" in text:
        text = text.replace("--", "-\u2010")
    return MarkdownText(text.replace(">", "&gt;"))


def md_raw(value: object) -> MarkdownText:
    """``value`` trusted as Markdown (for a template's own constants)."""
    return MarkdownText(str(value))


def _finalize(value: object) -> object:
    """Escape what a Markdown template prints, unless it is already Markdown."""
    if value is None or isinstance(value, MarkdownText):
        return value
    return md(value)


_MARKDOWN_FILTERS: Mapping[str, Callable[..., MarkdownText]] = {
    "md": md,
    "md_code": md_code,
    "md_comment": md_comment,
    "md_raw": md_raw,
}


class Templates:
    """Templates of one escaping, the operator's directory first."""

    def __init__(self, escaping: Escaping, template_dir: Path | None = None) -> None:
        """Templates escaped as ``escaping``; ``template_dir`` searched first."""
        builtin = jinja2.FileSystemLoader(BUILTIN)
        loaders: list[jinja2.BaseLoader] = [
            jinja2.PrefixLoader({"psconfig": builtin}),
            builtin,
        ]
        if template_dir is not None:
            loaders.insert(0, jinja2.FileSystemLoader(template_dir))
        html = escaping == "html"
        # autoescape=True, not select_autoescape: an operator's template escapes
        # too, whatever its file name; a name from PowerSchool never becomes markup.
        # The sandbox: a template reaches the values it is given, not Python's
        # internals (no ``__class__``, no unsafe calls), whoever edited it.
        self._env = jinja2.sandbox.SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=html,
            finalize=None if html else _finalize,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        if not html:
            self._env.filters.update(_MARKDOWN_FILTERS)

    def check(self, name: str) -> None:
        """Compile ``name`` (and what it extends) now, so a broken one fails early.

        Raises:
            PsconfigError: as ``render``.

        """
        with _template_errors(name):
            self._env.get_template(name)

    def render(self, name: str, /, **context: object) -> str:
        """Template ``name`` rendered with ``context``.

        Raises:
            PsconfigError: the template cannot be read, compiled or rendered; one
                line naming the template file and line when Jinja2 knows them.

        """
        with _template_errors(name):
            return self._env.get_template(name).render(**context)


@contextmanager
def _template_errors(name: str) -> Iterator[None]:
    """Turn Jinja2's errors into one PsconfigError line naming file and line."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise PsconfigError(f"{where}:{exc.lineno}: template: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise PsconfigError(f"template {exc.name}: not found") from None
    except jinja2.TemplateError as exc:
        raise PsconfigError(_located(exc, name, exc.message or "")) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as exc:
        # An operator's expression that fails ({{ 1 / 0 }}, a bad filter argument).
        raise PsconfigError(
            _located(exc, name, f"{type(exc).__name__}: {exc}")
        ) from None


def _located(exc: BaseException, name: str, message: str) -> str:
    frame = _frame(exc)
    if frame is None:
        return f"template {name}: {message}"
    return f"{frame}: template: {message}"


def _frame(exc: BaseException) -> str | None:
    """``file:line`` of the innermost template frame of a render error, if any."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".j2") or "<template>" in code.co_filename:
            where = f"{code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
