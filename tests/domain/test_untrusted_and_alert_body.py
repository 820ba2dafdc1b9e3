"""Properties of inbound text cleaning and of merging a later trigger into an alert."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain import untrusted
from tocsin.domain.alert_body import Body, merged

#: Text with the characters that matter here: NUL, lone surrogates, a pair, non-ASCII.
texts = st.text() | st.text(st.sampled_from("a\x00\ud800\udfff\\u😀é"), max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_parsed_text_is_always_storable_and_the_fast_path_agrees_with_the_full_pass(
    value: Any,
) -> None:
    body = json.dumps(value).encode()
    parsed = untrusted.parse(body)
    # Every string can be written as UTF-8 and holds no NUL.
    encoded = json.dumps(parsed, ensure_ascii=False).encode()
    assert b"\x00" not in encoded and b"\\u0000" not in encoded
    assert parsed == untrusted.document(json.loads(body))
    assert untrusted.served(parsed) == parsed


def test_text_replaces_only_nul_and_lone_surrogates() -> None:
    assert untrusted.text("a\x00b\ud800c\udfffd") == "a\ufffdb\ufffdc\ufffdd"
    assert untrusted.text("ok ✓ 😀") == "ok ✓ 😀"
    assert untrusted.parse(b'"\\ud83d\\ude00 \\ud83d"') == "😀 \ufffd"


bodies = st.builds(
    Body,
    summary=st.text(min_size=1, max_size=5),
    labels=st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=3),
    annotations=st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=3),
    details=st.dictionaries(st.text(max_size=3), json_values, max_size=3),
    links=st.lists(
        st.fixed_dictionaries({"href": st.text(max_size=3), "text": st.text(max_size=3)}),
        max_size=3,
        unique_by=lambda link: link["href"],
    ),
    runbook_url=st.none() | st.text(min_size=1, max_size=5),
)


@given(bodies, bodies)
def test_a_later_trigger_never_erases_what_the_alert_shows(stored: Body, later: Body) -> None:
    body = merged(stored, later)
    assert stored.labels.keys() <= body.labels.keys()
    assert stored.annotations.keys() <= body.annotations.keys()
    assert stored.details.keys() <= body.details.keys()
    assert [link["href"] for link in body.links][: len(stored.links)] == [
        link["href"] for link in stored.links
    ]
    assert body.runbook_url == (later.runbook_url or stored.runbook_url)
    assert body.summary == later.summary


@given(bodies)
def test_a_trigger_that_says_nothing_new_changes_nothing(stored: Body) -> None:
    empty = Body(stored.summary, {}, {}, {"custom_details": None, "images": []}, [], None)
    assert merged(stored, empty).payload() == stored.payload()
    assert merged(stored, stored).payload() == stored.payload()
