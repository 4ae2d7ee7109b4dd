"""The README's keys by screen are the screens' bindings: regenerate with
``python -m bpsm_tui.keydoc`` after changing a key."""

from __future__ import annotations

from pathlib import Path

from bpsm_tui.keydoc import BEGIN, END, keys_markdown, screens

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_the_keys_of_every_screen_as_bound() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.partition(BEGIN)[2].partition(END)[0]
    assert block.strip() == keys_markdown().strip(), "run: python -m bpsm_tui.keydoc README.md"


def test_every_screen_has_its_table_and_its_own_keys() -> None:
    table = keys_markdown()
    for title, _ in screens():
        assert f"**{title}**" in table
    assert "| `e` | Edit service |" in table  # the change screen's own key
    assert "| `?` `f1` | Keys |" in table  # the desk's help, F1 also in fields
