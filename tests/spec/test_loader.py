"""YAML loading: positions, YAML 1.2 values, and bounded refusal of unsafe input."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.errors import SpecError
from psconfig.spec.document import Mark
from psconfig.spec.loader import MAX_BYTES, dump_yaml, parse_document


def parse(text: str | bytes) -> Any:
    raw = text.encode() if isinstance(text, str) else text
    return parse_document(raw, "f.yaml")


def only_error(text: str | bytes) -> str:
    with pytest.raises(SpecError) as caught:
        parse(text)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_values_follow_yaml_1_2() -> None:
    doc = parse(
        "a: no\nb: on\nc: 05:00\nd: true\ne: ~\nf: 0x1f\ng: 1_000\nh: 1.5\ni: 0o17\n"
    )
    assert doc.data == {
        "a": "no",
        "b": "on",
        "c": "05:00",
        "d": True,
        "e": None,
        "f": 31,
        "g": 1000,
        "h": 1.5,
        "i": 15,
    }


def test_numbers_with_a_leading_zero_keep_their_digits() -> None:
    assert parse("id: 007\nn: 0\n").data == {"id": "007", "n": 0}


def test_positions_of_keys_and_values_are_one_based() -> None:
    doc = parse(
        "server:\n  url: sim://x\nstaff:\n  - id: '1'\n    admin: {a: [1, 2]}\n"
    )
    assert doc.mark(("server", "url")) == Mark(2, 8)
    assert doc.mark(("server", "url"), key=True) == Mark(2, 3)
    assert doc.mark(("staff", 0)) == Mark(4, 5)
    assert doc.mark(("staff", 0, "admin", "a", 1)) == Mark(5, 20)


def test_unknown_path_elements_land_on_the_closest_written_node() -> None:
    doc = parse("server:\n  url: sim://x\n")
    assert doc.mark(("server", "password"), key=True) == Mark(1, 1)
    assert doc.mark(("server", "function-after[x]", "url")) == Mark(2, 8)
    assert doc.locate(("server", "password")) == Mark(1, 1)
    assert doc.locate(("server", "url")) == Mark(2, 8)


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    assert parse(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("a: 1\na: 2\n", "2:1", "duplicate key 'a' (first written on line 1)"),
        ("1: x\n'1': y\n", "2:1", "duplicate key '1'"),
        ("? [1]\n: 2\n", "1:3", "a key must be text or a whole number"),
        ("true: 1\n", "1:1", "a key must be text or a whole number"),
        ("a: !!binary aGk=\n", "1:4", "YAML tags (!!binary) are not allowed"),
        ("a: !!str 1\n", "1:4", "YAML tags (!!str) are not allowed"),
        ("%TAG !x! tag:x,2000:\n---\na: 1\n", "1:1", "%TAG directives are not allowed"),
        ("a: &x 1\nb: &x 2\n", "2:4", "anchor &x is defined twice"),
        ("a: *nowhere\n", "1:4", "alias *nowhere refers to no anchor"),
        ("a: &a [*a]\n", "1:8", "alias *a is inside its own anchor (recursive)"),
        ("k: &k {a: [1]}\n*k : 2\n", "2:1", "a key must be text or a whole number"),
        ("[1]: 2\n", "1:1", "a key must be text or a whole number"),
        ("- 1\n", "1:1", "a spec is a YAML mapping"),
        ("just text\n", "1:1", "a spec is a YAML mapping"),
        ("", "1:1", "the file is empty"),
        ("---\n...\n", "1:1", "the file is empty"),
        ("a: 'x\n", "2:1", "YAML syntax error: found unexpected end of stream"),
        ("a: b\n\x00\n", "2:1", "control character (#x0000)"),
    ],
)
def test_unsafe_or_malformed_input_gives_one_located_error(
    text: str, where: str, message: str
) -> None:
    problem = only_error(text)
    assert problem.startswith(f"f.yaml:{where}: error: ")
    assert message in problem


def test_files_over_one_mebibyte_are_refused_before_parsing() -> None:
    raw = b"a: " + b"x" * MAX_BYTES + b"\n"
    start = time.perf_counter()
    assert "larger than 1 MiB" in only_error(raw)
    assert time.perf_counter() - start < 1


def test_a_file_of_exactly_the_limit_is_read() -> None:
    filler = b"# " + b"x" * (MAX_BYTES - 10) + b"\n"
    raw = filler + b"a: 1\n"
    raw = raw[: MAX_BYTES - 5] + b"\na: 1\n" if len(raw) > MAX_BYTES else raw
    assert len(raw) <= MAX_BYTES
    assert parse(raw).data == {"a": 1}


def test_alias_expansion_is_bounded_even_with_few_aliases() -> None:
    # 8 aliases, each doubling: small text, but 2**8 copies of a 100-item list.
    lines = ["l0: &l0 [" + ", ".join(["x"] * 100) + "]"]
    lines += [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 9)]
    start = time.perf_counter()
    assert "aliases expand to over 10000 nodes" in only_error("\n".join(lines))
    assert time.perf_counter() - start < 2


def test_a_few_small_aliases_are_fine() -> None:
    doc = parse("ips: &ips [192.0.2.1]\na: *ips\nb: *ips\n")
    assert doc.data == {"ips": ["192.0.2.1"], "a": ["192.0.2.1"], "b": ["192.0.2.1"]}


def test_deep_block_nesting_is_refused_without_recursion_errors() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n"
    assert "nested deeper than 32 levels" in only_error(text)


def test_every_problem_of_structure_is_collected() -> None:
    with pytest.raises(SpecError) as caught:
        parse("a: 1\na: 2\nb: {x: 1, x: 2}\n")
    assert [p.line for p in caught.value.problems] == [2, 3]


def test_dump_quotes_what_yaml_1_1_would_misread() -> None:
    text = dump_yaml({"a": "no", "b": "05:00", "c": "on", "d": "Read-Only Export"})
    assert '"no"' in text and '"05:00"' in text and '"on"' in text
    assert "d: Read-Only Export" in text


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(
                st.characters(min_codepoint=0x61, max_codepoint=0x7A),
                min_size=1,
                max_size=8,
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), plain, min_size=1))
def test_dumped_yaml_reads_back_as_the_same_data(data: dict[str, Any]) -> None:
    assert parse(dump_yaml(data)).data == data


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_either_parse_or_raise_spec_error(raw: bytes) -> None:
    try:
        parse(raw)
    except SpecError as exc:
        assert exc.problems
        assert all(p.line >= 1 and p.col >= 1 for p in exc.problems)


def test_aliased_values_keep_the_positions_of_their_anchor() -> None:
    doc = parse("ips: &ips [192.0.2.1, 192.0.2.2]\nadmin:\n  allowed: *ips\n")
    assert doc.data["admin"]["allowed"] == ["192.0.2.1", "192.0.2.2"]
    assert doc.mark(("admin", "allowed"), key=True) == Mark(3, 3)
    assert doc.mark(("admin", "allowed", 1)) == Mark(1, 23)


def test_aliases_cannot_nest_past_the_depth_limit() -> None:
    deep = "[" * 20 + "1" + "]" * 20
    text = f"a: &a {deep}\nb: {'[' * 15}*a{']' * 15}\n"
    assert "nested deeper than 32 levels" in only_error(text)


def test_a_refused_key_swallows_its_whole_value() -> None:
    with pytest.raises(SpecError) as caught:
        parse("base: &b {x: 1}\nm:\n  <<: *b\n  y: {z: [1, {w: 2}]}\n  y: 3\n  q: 1\n")
    assert [(p.line, p.message[:20]) for p in caught.value.problems] == [
        (3, "merge keys (<<) are "),
        (5, "duplicate key 'y' (f"),
    ]
