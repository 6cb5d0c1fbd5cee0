"""The real store is what the bundle functions need (exports.store.BundleStore), and so is the
test double the older bundle tests use."""

from __future__ import annotations

import inspect

from bundle_fakes import FakeStore

from exports.store import (
    BUNDLE_JOURNAL_MEMBERS,
    BUNDLE_STORE_MEMBERS,
    BundleJournal,
    BundleStore,
    FormVersions,
)
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


def test_the_real_journal_and_registry_conform(tmp_path):
    from localdb import open_store

    declared = {n for n, v in vars(BundleJournal).items() if not n.startswith("_") and callable(v)}
    assert declared == set(BUNDLE_JOURNAL_MEMBERS)
    with open_store(tmp_path / "d") as store:
        for name in BUNDLE_JOURNAL_MEMBERS:
            wanted = getattr(BundleJournal, name)
            assert _params(getattr(type(store.journal), name)) == _params(wanted), name
        assert _params(type(store.registry).versions) == _params(FormVersions.versions)


def test_the_test_double_journal_and_registry_conform():
    fake = FakeStore("110101001000")
    for name in BUNDLE_JOURNAL_MEMBERS:
        assert _params(getattr(type(fake.journal), name)) == _params(
            getattr(BundleJournal, name)
        ), name
    assert _params(type(fake.registry).versions) == _params(FormVersions.versions)
    assert fake.registry.versions("t_survey") == ["1"]


def test_the_test_double_journal_marks_and_undoes_like_localdb(tmp_path):
    fake = FakeStore("110101001000")
    done = fake.add("t_survey", {"name": "甲"})
    draft = fake.add("t_survey", {"name": "乙"}, status="draft")
    export_id, n = fake.journal.begin_export(
        tmp_path / "b.xlsx", {"t_survey": [done, draft]}, file_digest=None
    )
    assert n == 1 and fake.get("t_survey", done)["_status"] == "exported"
    assert fake.journal.undo_export(export_id) == 1
    assert fake.get("t_survey", done)["_status"] == "finalised"
    assert fake.get("t_survey", draft)["_status"] == "draft"
    assert fake.journal.exports[0]["state"] == "undone"
    assert fake.journal.undo_export(export_id) == 0


def test_bundles_use_the_test_double_journal(tmp_path, monkeypatch):
    from exports import export_bundle, import_bundle, merge_bundles

    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")
    town = FakeStore("110101001000")
    uid = town.add("t_survey", {"name": "甲", "age": 40})
    export_bundle(town, tmp_path / "t.xlsx")
    assert town.get("t_survey", uid)["_status"] == "exported"
    assert [e["state"] for e in town.journal.exports] == ["done"]
    assert town.journal.exports[0]["marked"] == {"t_survey": [uid]}
    assert town.journal.folders == [str(tmp_path)]

    county = FakeStore("110101000000")
    merge_bundles(county, [tmp_path / "t.xlsx"], tmp_path / "c.xlsx")
    assert county.journal.folders == [str(tmp_path)]
    assert [t["kind"] for t in county.journal.transfers] == ["merge"]
    import_bundle(county, tmp_path / "t.xlsx")
    assert [t["kind"] for t in county.journal.transfers] == ["merge", "import"]
