"""What a clerk expects to find: settings (unit, clerk, durability, language), backup and
restore in the app with an automatic backup on closing after changes, and a unit search that
can be kept to a province or county, never cuts silently and finds every township by its
initials."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from localdb.store import list_backups

REPORT = "kexie_volunteer_monthly"


def test_settings_change_unit_clerk_durability_and_language(qtbot, window, answers, monkeypatch):
    from desktop.firstrun import FirstRunDialog
    from desktop.settings import SettingsDialog

    dialog = SettingsDialog(window)
    assert "海淀区" in dialog.unit.text()

    def pick(picker):  # the first-run picker, kept to 北京市, finds 西城区 by initials
        picker.scope_province.setCurrentIndex(picker.scope_province.findData("110000000000"))
        picker.search.setText("xcq")
        from desktop.unittree import CODE_ROLE

        assert picker.results.item(0).data(CODE_ROLE) == "110102000000"
        picker.results.setCurrentRow(0)
        picker.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(FirstRunDialog, "exec", pick)
    dialog.pick_unit()
    assert "西城区" in dialog.unit.text()
    dialog.clerk.setText("李四")
    dialog.durable.setChecked(True)
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.accept()
    assert window.db.wait_idle()
    store = window.store
    assert store.unit_code == "110102000000" and store.clerk == "李四"
    assert store.get_setting("synchronous") == "full"
    assert store.get_setting("language") == "en"
    assert window.nav.item(0).text() == "Home"
    assert "西城区" in window.status_unit.text()
    # the writer's connection runs with FULL now
    assert window.db.write(lambda s: s.db.execute("PRAGMA synchronous").fetchone()[0]).result == 2
    window.set_language("zh_CN")


def test_backup_and_restore_from_the_app(qtbot, window, answers):
    from desktop.settings import backup_now, restore_from_backup

    page = window.open_entry(REPORT, period="2026-10")
    page.set_raw("vol_registered", "120")
    assert window.db.wait_idle()
    backup_now(window)
    assert window.db.wait_idle()
    _title, text = answers.kinds("inform")[-1]
    backups = list_backups(window.store.folder)
    assert backups and str(backups[-1]) in text
    page.set_raw("vol_registered", "999")  # a mistake after the backup
    window.close_page(page)
    assert window.db.wait_idle()
    restore_from_backup(window, str(backups[-1]))
    assert window.db.wait_idle()
    assert answers.kinds("confirm")
    uuid = window.store.find_report(REPORT, unit=window.store.unit_code, period="2026-10")
    assert window.store.get(REPORT, uuid)["vol_registered"] == 120
    assert "恢复前" in answers.kinds("inform")[-1][1]


def test_closing_after_changes_makes_a_backup(qtbot, county_store, answers):
    from desktop.mainwindow import MainWindow
    from tests.gui.conftest import destroy

    w = MainWindow(county_store)
    w.show()
    destroy(w)  # nothing changed: no backup
    assert not [p for p in list_backups(county_store.folder) if "on-close" in p.name]
    w = MainWindow(county_store)
    w.show()
    page = w.open_entry(REPORT, period="2026-10")
    page.set_raw("vol_registered", "5")
    destroy(w)
    assert [p for p in list_backups(county_store.folder) if "on-close" in p.name]


def test_unit_search_scoped_uncut_and_by_full_initials(qtbot, county_store):
    from desktop.firstrun import FirstRunDialog
    from tests.gui.conftest import destroy

    dialog = FirstRunDialog(county_store)
    dialog.search.setText("xz")  # hundreds of units: 新镇, 许镇, 西庄…
    texts = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert "还有" in texts[-1]  # no silent cut
    assert "找到" in dialog.found.text()
    dialog.search.setText("sjz")  # 三界镇 and 130-odd other townships share these initials
    dialog.scope_province.setCurrentIndex(dialog.scope_province.findData("330000000000"))
    county = dialog.scope_county.findData("330683000000")  # 绍兴市 › 嵊州市
    assert county > 0
    dialog.scope_county.setCurrentIndex(county)
    names = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert names and "三界镇" in names[0]
    destroy(dialog)


def test_a_demo_folder_says_so_in_the_title(qtbot, county_store, answers):
    from desktop.mainwindow import MainWindow
    from tests.gui.conftest import destroy

    county_store.set_setting("demo", True)  # as kexie demo leaves it
    w = MainWindow(county_store)
    assert "示例数据" in w.windowTitle()
    destroy(w)
    county_store.set_setting("demo", None)
    w = MainWindow(county_store)
    assert "示例数据" not in w.windowTitle()
    destroy(w)
