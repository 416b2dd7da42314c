"""The operator's settings file (TOML) and environment: alert channels and the perp-risk
thresholds (WATCH level, liquidation buffer and alert distance). One frozen object, defaults
documented here; a bad file is one clear line (BadInputError), never a traceback.

File: $EVORISK_SETTINGS, else `<user config dir>/evorisk/settings.toml` if it exists:

    [alerts]
    urls = ["ntfy://ntfy.sh/my-topic", "tgram://BOT_TOKEN/CHAT_ID"]   # apprise URLs
    desktop = true                  # notify-send where the machine has it
    dedup_window_s = 300            # a state back within this is flapping: not sent again
    retry_delays_s = [2, 4, 8, 16]  # back-off between delivery attempts

    [risk]
    watch_fraction = 0.35               # WATCH at this x max_drawdown_pct: alert + banner colour only
    liquidation_buffer_fraction = 0.05  # stops stay this share of the entry-to-liquidation distance inside it
    liquidation_alert_distance = 0.05   # alert when the mark is closer than this fraction to liquidation

$EVORISK_ALERT_URLS (comma-separated apprise URLs) adds URLs to the file's.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from core.errors import BadInputError

SETTINGS_ENV = "EVORISK_SETTINGS"
ALERT_URLS_ENV = "EVORISK_ALERT_URLS"
WATCH_FRACTION = 0.35  # SPEC 5: a warning tier well before TIGHTENED (0.5)
LIQUIDATION_BUFFER_FRACTION = 0.05  # 5 % of the distance: a stop fills before the venue liquidates
LIQUIDATION_ALERT_DISTANCE = 0.05  # 5 % of the mark: a few bad hours from a forced close
DEDUP_WINDOW_S = 300.0
RETRY_DELAYS_S = (2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class AlertSettings:
    urls: tuple[str, ...] = ()
    desktop: bool = True
    dedup_window_s: float = DEDUP_WINDOW_S
    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S

    def __repr__(self) -> str:  # the URLs hold secrets: never in a repr that may reach a log
        return (f"AlertSettings(urls=<{len(self.urls)} redacted>, desktop={self.desktop}, "
                f"dedup_window_s={self.dedup_window_s}, retry_delays_s={self.retry_delays_s})")


@dataclass(frozen=True)
class PerpRiskSettings:
    watch_fraction: float = WATCH_FRACTION
    liquidation_buffer_fraction: float = LIQUIDATION_BUFFER_FRACTION
    liquidation_alert_distance: float = LIQUIDATION_ALERT_DISTANCE

    def __post_init__(self) -> None:
        for name in ("watch_fraction", "liquidation_buffer_fraction", "liquidation_alert_distance"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
                raise BadInputError(f"settings: risk.{name} must be a number in [0, 1), got {value!r}")


@dataclass(frozen=True)
class OperatorSettings:
    alerts: AlertSettings = field(default_factory=AlertSettings)
    risk: PerpRiskSettings = field(default_factory=PerpRiskSettings)


def default_settings_path() -> Path:
    return Path(user_config_dir("evorisk", appauthor=False)) / "settings.toml"


def _section(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise BadInputError(f"{path}: [{name}] must be a table")
    return section


def _alerts(section: dict[str, Any], env_urls: str, path: Path) -> AlertSettings:
    urls = section.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise BadInputError(f"{path}: alerts.urls must be a list of strings")
    urls = [u.strip() for u in urls if u.strip()] + [u.strip() for u in env_urls.split(",") if u.strip()]
    delays = section.get("retry_delays_s", list(RETRY_DELAYS_S))
    if not isinstance(delays, list) or not all(isinstance(d, (int, float)) and d >= 0 for d in delays):
        raise BadInputError(f"{path}: alerts.retry_delays_s must be a list of seconds >= 0")
    window = section.get("dedup_window_s", DEDUP_WINDOW_S)
    if not isinstance(window, (int, float)) or window < 0:
        raise BadInputError(f"{path}: alerts.dedup_window_s must be seconds >= 0")
    return AlertSettings(tuple(dict.fromkeys(urls)), bool(section.get("desktop", True)), float(window),
                         tuple(float(d) for d in delays))


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> OperatorSettings:
    """The settings file (if any) plus the environment."""
    env = os.environ if environ is None else environ
    if path is None:
        path = Path(env[SETTINGS_ENV]) if env.get(SETTINGS_ENV) else default_settings_path()
        explicit = bool(env.get(SETTINGS_ENV))
    else:
        explicit = True
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInputError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise BadInputError(f"{path}: cannot read: {exc.strerror}") from None
    elif explicit:
        raise BadInputError(f"{path}: settings file not found")
    risk = _section(raw, "risk", path)
    unknown = set(risk) - set(PerpRiskSettings.__dataclass_fields__)
    if unknown:
        raise BadInputError(f"{path}: unknown risk setting(s): {', '.join(sorted(unknown))}")
    return OperatorSettings(_alerts(_section(raw, "alerts", path), env.get(ALERT_URLS_ENV, ""), path),
                            PerpRiskSettings(**risk))
