"""Light and dark palettes for the whole application (Fusion style, so both look the same everywhere).

The choice is a GUI setting (QSettings ``view/theme``), not project data. Plots and structure
drawings follow it: :func:`plot_colours` gives the pyqtgraph colours for the current theme, and the
main window asks the engine for light-on-dark depictions in the dark theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

LIGHT = "light"
DARK = "dark"
THEMES = (LIGHT, DARK)
SETTINGS_KEY = "view/theme"


@dataclass(frozen=True, slots=True)
class PlotColours:
    background: str
    foreground: str
    points: tuple[int, int, int, int]
    highlight: str
    band: tuple[int, int, int, int]
    accent: str
    conflict: str  # table cells whose stored values disagree


_LIGHT_PLOT = PlotColours("#ffffff", "#303030", (40, 90, 170, 130), "#e8590c", (40, 90, 170, 50), "#1c5fb8",
                          "#a64d00")
_DARK_PLOT = PlotColours("#1e1f22", "#d8d8d8", (120, 170, 240, 140), "#ffa94d", (120, 170, 240, 60), "#7fb2ff",
                         "#f0a050")


def _dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    window, base, alt, text = QColor(45, 46, 50), QColor(30, 31, 34), QColor(38, 39, 43), QColor(222, 222, 222)
    p.setColor(role.Window, window)
    p.setColor(role.WindowText, text)
    p.setColor(role.Base, base)
    p.setColor(role.AlternateBase, alt)
    p.setColor(role.ToolTipBase, QColor(60, 61, 66))
    p.setColor(role.ToolTipText, text)
    p.setColor(role.PlaceholderText, QColor(140, 140, 140))
    p.setColor(role.Text, text)
    p.setColor(role.Button, window)
    p.setColor(role.ButtonText, text)
    p.setColor(role.BrightText, QColor(255, 90, 90))
    p.setColor(role.Link, QColor(120, 170, 255))
    p.setColor(role.LinkVisited, QColor(170, 140, 255))
    p.setColor(role.Highlight, QColor(53, 110, 190))
    p.setColor(role.HighlightedText, QColor(255, 255, 255))
    p.setColor(role.Light, QColor(70, 71, 76))
    p.setColor(role.Midlight, QColor(58, 59, 64))
    p.setColor(role.Mid, QColor(80, 81, 86))
    p.setColor(role.Dark, QColor(25, 25, 28))
    p.setColor(role.Shadow, QColor(0, 0, 0))
    disabled = QColor(120, 120, 120)
    for r in (role.WindowText, role.Text, role.ButtonText, role.HighlightedText):
        p.setColor(group.Disabled, r, disabled)
    p.setColor(group.Disabled, role.Highlight, QColor(70, 70, 75))
    return p


def apply_theme(name: str, app: QApplication | None = None) -> str:
    """Switch the application to the light or dark palette; returns the theme applied."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    theme = name if name in THEMES else LIGHT
    if app is None:
        return theme
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if theme == DARK else app.style().standardPalette())
    app.setProperty("cryodesk_theme", theme)
    return theme


def current_theme() -> str:
    app = QApplication.instance()
    value = app.property("cryodesk_theme") if app is not None else None
    return value if value in THEMES else LIGHT


def is_dark() -> bool:
    return current_theme() == DARK


def plot_colours() -> PlotColours:
    return _DARK_PLOT if is_dark() else _LIGHT_PLOT


def style_plot(plot: Any) -> None:
    """Give a pyqtgraph PlotWidget the current palette's background and axis colours."""
    import pyqtgraph as pg  # heavy; only views that draw plots load it

    colours = plot_colours()
    plot.setBackground(colours.background)
    for axis in ("left", "bottom"):
        ax = plot.getPlotItem().getAxis(axis)
        ax.setPen(pg.mkPen(colours.foreground))
        ax.setTextPen(pg.mkPen(colours.foreground))


def gridded_plot(parent: Any, object_name: str, bottom: str, left: str) -> Any:
    """A pyqtgraph PlotWidget as the mixture views use it: named, no context menu, faint grid, axis labels."""
    import pyqtgraph as pg

    plot = pg.PlotWidget(parent)
    plot.setObjectName(object_name)
    plot.setMenuEnabled(False)
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("bottom", bottom)
    plot.setLabel("left", left)
    return plot
