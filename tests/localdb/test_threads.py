"""One writer thread per store: other threads read through read-only connections of their own
that see committed data only, and any write from them is refused."""

from __future__ import annotations

import threading

import pytest

from localdb import open_store
from localdb.store import WrongThreadError


def _in_thread(fn):
    out: dict = {}

    def run():
        try:
            out["result"] = fn()
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    return out


def test_a_write_from_another_thread_is_refused(tmp_path):
    with open_store(tmp_path) as store:
        store.set_setting("a", 1)
        out = _in_thread(lambda: store.set_setting("a", 2))
        assert isinstance(out["error"], WrongThreadError)
        # raw SQL outside atomic() is refused by SQLite on the read-only connection
        out = _in_thread(
            lambda: store.db.execute("UPDATE _settings SET value = '3' WHERE key = 'a'")
        )
        assert "error" in out
        assert store.get_setting("a") == 1
        assert _in_thread(lambda: store.get_setting("a"))["result"] == 1


def test_readers_see_committed_data_only(tmp_path):
    with open_store(tmp_path) as store:
        store.set_setting("a", 1)
        with store.db.atomic():
            store.db.execute("UPDATE _settings SET value = '2' WHERE key = 'a'")
            # another thread does not see the open transaction
            assert _in_thread(lambda: store.get_setting("a"))["result"] == 1
        assert _in_thread(lambda: store.get_setting("a"))["result"] == 2


def test_the_writer_moves_only_outside_a_transaction(tmp_path):
    with open_store(tmp_path) as store:
        out = _in_thread(lambda: (store.claim_writer(), store.set_setting("b", "w")))
        assert "error" not in out
        assert store.get_setting("b") == "w"  # the opening thread reads it, read-only now
        with pytest.raises(WrongThreadError):
            store.set_setting("b", "main")
        store.claim_writer()
        with store.db.atomic():
            out = _in_thread(store.claim_writer)
            assert isinstance(out["error"], WrongThreadError)
        store.set_setting("b", "main")
        assert store.get_setting("b") == "main"
