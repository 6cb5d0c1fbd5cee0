"""The real store is what the bundle functions need (exports.store.BundleStore), and so is the
test double the older bundle tests use."""

from __future__ import annotations

import inspect

from bundle_fakes import FakeStore

from exports.store import BUNDLE_STORE_MEMBERS, BundleStore
from localdb.store import Store


def _params(fn) -> list[tuple[str, object, object]]:
    sig = inspect.signature(fn)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def test_members_listed_are_the_protocol():
    declared = {
        name
        for name, value in vars(BundleStore).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }
    assert declared == set(BUNDLE_STORE_MEMBERS)


def test_the_real_store_conforms_signature_by_signature(tmp_path):
    from localdb import open_store

    with open_store(tmp_path / "d") as store:
        for name in BUNDLE_STORE_MEMBERS:
            assert hasattr(store, name), name
            wanted = getattr(BundleStore, name)
            if isinstance(wanted, property):
                assert isinstance(getattr(Store, name, None), property) or name in vars(store)
                continue
            assert _params(getattr(Store, name)) == _params(wanted), name


def test_the_test_double_has_every_member():
    fake = FakeStore("110101001000")
    for name in BUNDLE_STORE_MEMBERS:
        assert hasattr(fake, name), name
    with fake.transaction():
        pass
    assert fake.mark_exported("t_survey", []) == 0
