"""A multi-line summary passed into another message keeps its line breaks (i18n.compose),
while any other text parameter (a file name, a cell) still has its control characters
escaped."""

from i18n import compose, tr


def test_composed_text_keeps_its_line_breaks_and_plain_text_is_escaped():
    inner = compose([tr("ui.summary.added", count=2), tr("ui.summary.unchanged", count=0)])
    text = tr("ui.import.done", file="a\nb.xlsx", summary=inner)
    assert "a\\nb.xlsx" in text  # untrusted text: escaped
    assert "\\n" not in text.split("\n\n", 1)[1]  # the summary: real line breaks
    assert inner.split("\n")[1] in text.split("\n")
    plain = tr("ui.import.done", file="x", summary=str(inner))
    assert "\\n" in plain


def test_english_counts_take_the_singular_for_one():
    # seen walking the English window: "1 blocking errors must be corrected first"
    assert tr("ui.report.errors_block", "en", count=1).startswith("1 blocking error must")
    assert tr("ui.report.errors_block", "en", count=3).startswith("3 blocking errors must")
    assert tr("ui.error.more_problems", "en", count=1).endswith("1 more problem")
