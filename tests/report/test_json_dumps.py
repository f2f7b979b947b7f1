"""`report.json._dumps` is json.dumps(indent=2, ensure_ascii=False) whichever encoder writes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exposure_audit.report.json import _dumps

TRICKY = {
    "floats": [1e-05, 9.9e-05, 0.0001, 1e15, 1e16, 2.5e-07, -0.0, 0.1, 123456789.0, 1e22],
    "text": 'é\u2028\x01"\\\n\t\b\f\x7f 1e5 0.00001',
    "empty": {"list": [], "dict": {}},
    "big": 12345678901234567890,
    "none": None,
    "flags": [True, False],
}


@pytest.mark.parametrize("key", sorted(TRICKY))
def test_tricky_values_read_as_json_dumps_writes_them(key):
    data = {key: TRICKY[key]}
    assert _dumps(data) == json.dumps(data, indent=2, ensure_ascii=False)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_written_as_json_dumps_writes_it(value):
    assert _dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_numbers_inside_strings_do_not_send_it_to_the_slow_encoder(monkeypatch):
    """Hashes, URLs and messages hold "0.0000" and "1e5"; only numbers outside strings can
    read differently in orjson, so text like this stays on the fast path."""
    import exposure_audit.report.json as module

    data = {"sha256": "d0e1f2", "message": "2.5e-05% of the part", "url": "x-0.00001", "n": 0.5}
    expected = json.dumps(data, indent=2, ensure_ascii=False)

    def slow(*args, **kwargs):
        raise AssertionError("json.dumps used")

    monkeypatch.setattr(module.json, "dumps", slow)
    assert module._dumps(data) == expected
