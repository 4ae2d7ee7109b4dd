"""Configuration from the environment (``BPSM_*``) or a ``.env`` file, with working defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_catalogue_path"]


def default_catalogue_path() -> Path:
    """``./catalogue`` if it holds a desk.yaml, else the example catalogue shipped with bpsm."""
    here = Path.cwd() / "catalogue"
    if (here / "desk.yaml").is_file():
        return here
    packaged = Path(__file__).with_name("_catalogue")
    if (packaged / "desk.yaml").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "catalogue"  # a source checkout


class Settings(BaseSettings):
    """Where the desk keeps its data, which catalogue it serves, and who is at the keyboard."""

    model_config = SettingsConfigDict(env_prefix="BPSM_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: an embedded SQLite file in the user data folder",
    )
    catalogue_path: Path = Field(
        default_factory=default_catalogue_path,
        description="folder with desk.yaml and services/*.yaml",
    )
    operator: str = Field(default="anna", description="staff id of the person using the TUI/CLI")
    demo: bool = Field(
        default=True, description="seed demo calls into an empty database on first start"
    )
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "the TUI's keys by binding id, e.g. "
            'BPSM_KEYMAP=\'{"call.resolve": "R", "call.close": "ctrl+c"}\''
        ),
    )
