"""The reply types: ReplyError, Verbatim, Push, NEED_DATA, ProtocolError."""

from __future__ import annotations

import pickle

import pytest

import resp


def test_reply_error_shape() -> None:
    text = "WRONGTYPE Operation against a key holding the wrong kind of value"
    err = resp.ReplyError(text)
    assert isinstance(err, Exception)
    assert str(err) == text
    assert err.message == text
    assert err.code == "WRONGTYPE"
    assert repr(err) == f"ReplyError({text!r})"


@pytest.mark.parametrize(
    ("text", "code"),
    [("ERR unknown command", "ERR"), ("", "ERR"), ("NOAUTH", "NOAUTH"), (" leading", "ERR")],
)
def test_reply_error_code(text: str, code: str) -> None:
    assert resp.ReplyError(text).code == code


def test_reply_error_equality_and_hash() -> None:
    a = resp.ReplyError("ERR x")
    assert a == resp.ReplyError("ERR x")
    assert a != resp.ReplyError("ERR y")
    assert a != "ERR x"
    assert hash(a) == hash(resp.ReplyError("ERR x"))
    assert len({a, resp.ReplyError("ERR x"), resp.ReplyError("ERR y")}) == 2


def test_reply_error_can_be_raised_and_pickled() -> None:
    with pytest.raises(resp.ReplyError, match="BUSYKEY") as info:
        raise resp.ReplyError("BUSYKEY Target key name already exists.")
    assert info.value.code == "BUSYKEY"
    again = pickle.loads(pickle.dumps(info.value))
    assert again == info.value
    assert again.code == "BUSYKEY"


def test_verbatim() -> None:
    v = resp.Verbatim("# Server\r\nredis_version:7.0", "txt")
    assert isinstance(v, str)
    assert v == "# Server\r\nredis_version:7.0"
    assert v.format == "txt"
    assert resp.Verbatim("x").format == "txt"
    assert repr(resp.Verbatim("a", "mkd")) == "Verbatim('a', format='mkd')"
    again = pickle.loads(pickle.dumps(resp.Verbatim("a", "mkd")))
    assert (again, again.format) == ("a", "mkd")


def test_push() -> None:
    p = resp.Push([b"message", b"news", b"hello"])
    assert isinstance(p, list)
    assert p == [b"message", b"news", b"hello"]
    assert p.kind == "message"
    assert resp.Push(["invalidate", [b"k"]]).kind == "invalidate"
    assert resp.Push().kind == ""
    assert repr(p) == "Push([b'message', b'news', b'hello'])"


def test_need_data_and_protocol_error() -> None:
    assert repr(resp.NEED_DATA) == "resp.NEED_DATA"
    assert resp.NEED_DATA is resp.NEED_DATA
    assert issubclass(resp.ProtocolError, ValueError)


def test_import_uses_only_the_standard_library() -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys; before = set(sys.modules); import resp; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    new = json.loads(out.stdout)
    assert "resp" in new
    outside = [m for m in new if m.split(".")[0] not in sys.stdlib_module_names | {"resp"}]
    assert outside == []
    assert not {"socket", "trio", "logging", "asyncio", "time", "select"} & set(new)
