"""退回 in the window: the county returns a township's report from the report grid with a
reason and a comment on one indicator; the township imports it, sees both at the report and
answers with what it corrected when it finalises again."""

from __future__ import annotations

import json
from datetime import date

from PySide6.QtWidgets import QDialog

from forms import periods as P
from kexie.cli import main

FORM = "kexie_volunteer_monthly"
TOWN = "110108001000"  # 海淀区 万寿路街道
PERIOD = P.previous_period(P.current_period("month"))
VALUES = {"vol_registered": 120, "vol_new": 5, "vol_female": 60, "vol_young": 30,
          "vol_retired": 10, "vol_active": 80, "vol_orgs": 3, "activities": 4,
          "activities_rural": 2, "activities_online": 1, "people_served": 300,
          "service_hours": 250, "unit_head": "赵六", "filled_by": "张三",
          "phone": "13800000000", "fill_date": date.today().isoformat()}  # fmt: skip


def _township(tmp_path, capsys):
    town = tmp_path / "town"
    assert main(["--data", str(town), "init", "--unit", TOWN, "--clerk", "张三"]) == 0
    sets = [a for k, v in VALUES.items() for a in ("--set", f"{k}={v}")]
    assert main(["--data", str(town), "report", FORM, "--period", PERIOD, *sets]) == 0
    assert main(["--data", str(town), "export", "--out", str(tmp_path / "t.xlsx")]) == 0
    capsys.readouterr()
    return town


def test_return_from_the_grid_and_answer_it_at_the_township(
    qtbot, window, answers, tmp_path, capsys, monkeypatch
):
    from desktop import returns as ui
    from desktop.mainwindow import MainWindow
    from desktop.transfer import start_import
    from localdb import open_store
    from tests.gui.conftest import destroy

    town = _township(tmp_path, capsys)
    start_import(window, str(tmp_path / "t.xlsx"))
    qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=20000)
    uuid = window.store.find_report(FORM, unit=TOWN, period=PERIOD)
    page = window.open_entry(FORM, uuid=uuid, period=PERIOD)
    assert not page.btn_return.isHidden() and "万寿路街道" in page.title.text()

    def fill(self):
        self.reason.setPlainText("注册人数与上月相差过大")
        self.table.item(self.names.index("vol_registered"), 2).setText("请与平台核对")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ui.ReturnDialog, "exec", fill)
    answers.save_file = str(tmp_path / "return.xlsx")
    page.return_report()
    qtbot.waitUntil(lambda: page.status == "returned", timeout=20000)
    assert (tmp_path / "return.xlsx").exists()
    record = window.store.get(FORM, uuid)
    assert json.loads(record["_returns"])[0]["fields"] == {"vol_registered": "请与平台核对"}
    assert page.btn_return.isHidden() is False  # may be returned again

    # The township's window: import the return, see it, correct, answer.
    store = open_store(town)
    try:
        w = MainWindow(store)
        w.show()
        qtbot.waitExposed(w)
        answers.shown.clear()
        start_import(w, str(tmp_path / "return.xlsx"))
        qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=20000)
        assert "注册人数与上月相差过大" in answers.kinds("inform")[-1][1]
        page = w.open_entry(FORM, period=PERIOD)
        assert page.status == "returned" and page.btn_return.isHidden()
        assert not page.return_banner.isHidden()
        assert "注册人数与上月相差过大" in page.return_banner.text()
        assert "请与平台核对" in page.rows["vol_registered"].message.text()
        assert "请与平台核对" not in page.rows["vol_new"].message.text()
        page.grab().save(str(tmp_path / "returned.png"))
        page.set_raw("vol_registered", "125")
        answers.text = "已与平台核对，更正为125人"
        page.finalise()
        qtbot.waitUntil(lambda: page.status == "finalised", timeout=20000)
        assert any(kind == "ask" for kind, _, _ in answers.shown)
        record = store.get(FORM, page.uuid)
        event = json.loads(record["_returns"])[0]
        assert record["vol_registered"] == 125
        assert event["response"] == "已与平台核对，更正为125人"
        assert page.return_banner.isHidden()
        destroy(w)
    finally:
        store.close()


def test_a_published_version_is_used_from_its_period_in_the_window(qtbot, window, tmp_path):
    from exports.packages import publish
    from tests.exports.test_loop_packages import version_2

    start = P.current_period("month")
    earlier = P.previous_period(start)
    src = str(version_2(tmp_path / "v2.xlsx"))
    w = window.db.write(lambda s: publish(s, [src], tmp_path / "pkg.xlsx", from_period=start))
    qtbot.waitUntil(lambda: w.finished, timeout=20000)
    assert w.ok, getattr(w, "error", None)
    old = window.open_entry(FORM, period=earlier)
    assert old.form.version == "2026.1" and "vol_online" not in old.rows
    new = window.open_entry(FORM, period=start)
    assert new.form.version == "2027.1" and "vol_online" in new.rows
