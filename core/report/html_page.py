"""A report as one self-contained HTML file: title, when it was made, the share link, the sentences,
the charts as inline SVG and the settings, opening with no server and no network, and printing well.

Everything that comes from outside (a run's messages, class names, an uploaded file's name, the
settings of a shared link) is escaped here; the only markup in a sentence is the bold and code
spans our own explanations write (`**...**`, `` `...` ``), rebuilt after escaping. A chart's SVG
is vl-convert's rendering of our own Vega-Lite spec, and is checked to hold no script or link to
anything outside the file before it is put in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
# An SVG that could reach outside the file or run code is refused, not cleaned.
_UNSAFE_SVG = re.compile(r"<\s*(script|foreignObject|iframe|image)\b|\bon[a-z]+\s*=|(?:xlink:)?href\s*=\s*[\"']"
                         r"(?!#)", re.IGNORECASE)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f1f1f; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.made { color: #555; margin-top: 0; } .link { word-break: break-all; font-family: monospace; font-size: 0.85rem; }
figure { margin: 1rem 0; break-inside: avoid; } figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: 0.3rem; }
table { border-collapse: collapse; font-size: 0.9rem; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
th { text-align: left; background: #f3f3f3; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } h2 { break-after: avoid; } }
"""


@dataclass(frozen=True)
class Figure:
    """One chart of the report: its title and its SVG drawing."""

    title: str
    svg: str


class UnsafeFigure(ValueError):
    """A chart's SVG held a script or a link out of the file."""


def sentence_html(text: str) -> str:
    """One of our Markdown sentences as HTML: everything escaped, then our bold and code spans back."""
    escaped = html.escape(text, quote=True)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def checked_svg(svg: str) -> str:
    """The SVG without its XML prolog, or UnsafeFigure if it could run code or fetch anything."""
    if _UNSAFE_SVG.search(svg):
        raise UnsafeFigure("a chart's SVG holds a script, an event handler or an outside link")
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


def _table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in rows)
    return f"<table>{body}</table>"


def report_html(title: str, made: str, link: str, sentences: Iterable[str], figures: Iterable[Figure],
                settings: Sequence[tuple[str, str]], notes: Iterable[str] = (),
                sentences_heading: str = "What this run shows") -> str:
    """The whole report as one HTML document, with no external reference of any kind."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may load from anywhere, even if a browser found something to load.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="made">Made {html.escape(made)} with RNN Playground.</p>',
        "<p>Open this link to see it in the playground, or to train it again with the same settings:</p>",
        f'<p class="link">{html.escape(link)}</p>',
    ]
    sentences = list(sentences)
    if sentences:
        parts.append(f"<h2>{html.escape(sentences_heading)}</h2>")
        parts += [f"<p>{sentence_html(sentence)}</p>" for sentence in sentences]
    for note in notes:
        parts.append(f"<p><em>{sentence_html(note)}</em></p>")
    figures = list(figures)
    if figures:
        parts.append("<h2>Charts</h2>")
        parts += [f"<figure><figcaption>{html.escape(figure.title)}</figcaption>{checked_svg(figure.svg)}</figure>"
                  for figure in figures]
    parts += ["<h2>Settings</h2>", _table(settings), "</body></html>"]
    return "\n".join(parts)
