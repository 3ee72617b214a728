"""Text that came from outside the app, shown as plain text: never as Markdown, HTML or a link.

Streamlit reads the body of `st.markdown`, `st.caption`, `st.info`/`warning`/`error`/`success` and
widget labels as GitHub Markdown, so a value echoed there is markup: `![t](http://host/x.png)` in a
link became an image every visitor's browser fetched, `[Log in again](http://...)` a link inside
the app's own warning, and `www.host` or `http://host` alone an automatic link.

The rule: a string from outside (URL values and keys, file names, table cells and labels, typed
text, bundle fields, and any importer message that quotes them) never reaches those calls as is.
Either the page writes a trusted template and passes the outside values to the helpers here,
which escape each value (`caption("Classes: {names}", names=...)`), or it calls `escape` itself.
Escaping puts a backslash before every ASCII punctuation character, which CommonMark defines as
that character taken literally, so no outside value can open a link, an image, an HTML tag,
emphasis, a colour directive, maths or an automatic link; line breaks become spaces, so a value
cannot start a list or a heading inside the template either.

Streamlit also rewrites some text after CommonMark has resolved the escapes: `:material/home:`
became an icon even when every character was escaped (seen in Chromium), and automatic links
are found the same way. An invisible word joiner after a colon that opens a shortcode, after
"http"/"www" and after "@" breaks those patterns while the text reads the same.
"""

from __future__ import annotations

import dataclasses
import re
import string
from typing import Any

import pandas as pd
import streamlit as st

from core.data.history import History

# The ASCII punctuation that can start Markdown, HTML, an entity, maths or a directive (CommonMark
# lets any ASCII punctuation be escaped). Quotes, commas, "?", "%", "/" and ";" start nothing, so
# they stay as typed and messages still quote values as 'this'.
_PUNCTUATION = re.compile(r"([\\`*_\[\](){}#+\-.!<>|~$:@&=^])")
_HTML_PUNCTUATION = re.compile(r"([\\`*_\[\](){}#+\-.!<>|~$:@&=^\"'])")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")
# GitHub's automatic links ("http://...", "www.x", "a@b.c") are found in the text after escapes are
# resolved, so backslashes do not stop them (the browser test showed it); an invisible word joiner
# between "http" and ":", "www" and ".", and after "@" does.
_AUTOLINK_STARTS = re.compile(r"(https?|ftp|mailto|xmpp|www)(?=[:.])", re.IGNORECASE)
WORD_JOINER = "\u2060"
# Streamlit's shortcodes open with a colon right before a name (":red[", ":material/home:",
# ":smile:", ":+1:"); only such a colon gets the joiner, so "classes: negative" stays as typed and
# a reader's search finds it.
_SHORTCODE_STARTS = re.compile(r":(?=[A-Za-z0-9_+\-])")


def _joined(value: Any) -> str:
    """One line, with word joiners that break automatic links and shortcodes."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _AUTOLINK_STARTS.sub(lambda match: match.group(1) + WORD_JOINER, text)
    return _SHORTCODE_STARTS.sub(":" + WORD_JOINER, text.replace("@", "@" + WORD_JOINER))


def escape(value: Any) -> str:
    """`value` as text that Streamlit's Markdown shows character for character."""
    return _PUNCTUATION.sub(r"\\\1", _joined(value))


def html_text(value: Any) -> str:
    """`value` for the text or an attribute of HTML written into `st.markdown(..., unsafe_allow_html=True)`.

    Markdown still reads the text between the tags, and a backslash would show inside an attribute,
    so each punctuation character (and each quote) becomes a numeric character reference:
    CommonMark takes a reference as the character itself, never as emphasis, strike-through or maths.
    """
    return _HTML_PUNCTUATION.sub(lambda match: f"&#{ord(match.group(1))};", _joined(value))


def table(frame: pd.DataFrame, hide_index: bool = True) -> None:
    """`st.table` with every text cell, column and row name shown as typed.

    Streamlit 1.67 reads each text cell of a static table as Markdown: "3. November 1906" became
    a numbered list item "November 1906", and a sentence from an upload could draw a link or an
    image. Numbers stay numbers.
    """
    def shown(value: Any) -> Any:
        return escape(value) if isinstance(value, str) else value

    frame = frame.copy()
    frame.columns = [shown(name) for name in frame.columns]
    frame.index = [shown(name) for name in frame.index]
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = [shown(value) for value in frame[column]]
    st.table(frame, hide_index=hide_index)


class _EscapingFormatter(string.Formatter):
    """str.format whose every replacement field is escaped after formatting (so `{n:,}` works)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return escape(format(value, format_spec))


_FORMATTER = _EscapingFormatter()


def fill(template: str, *values: Any, **named: Any) -> str:
    """A trusted Markdown template with every outside value escaped: `fill("**{n}** rows", n=12)`."""
    return _FORMATTER.format(template, *values, **named)


def markdown(template: str, *values: Any, **named: Any) -> None:
    st.markdown(fill(template, *values, **named))


def caption(template: str, *values: Any, **named: Any) -> None:
    st.caption(fill(template, *values, **named))


def info(template: str, *values: Any, icon: str | None = None, **named: Any) -> None:
    st.info(fill(template, *values, **named), icon=icon)


def warning(template: str, *values: Any, icon: str | None = None, **named: Any) -> None:
    st.warning(fill(template, *values, **named), icon=icon)


def error(template: str, *values: Any, icon: str | None = None, **named: Any) -> None:
    st.error(fill(template, *values, **named), icon=icon)


def message(text: Any, kind: str = "error", icon: str | None = None) -> None:
    """A whole outside message (an importer's DataError, a stored run's message) in a notice box."""
    getattr(st, kind)(escape(text), icon=icon)


def notes(texts: list[str]) -> None:
    """Importer notices, one caption each: they quote column names, labels and cells."""
    for text in texts:
        st.caption(escape(text))


def histories(records: list[History]) -> list[History]:
    """Copies whose outside strings (a bundle's message, class and group names) are escaped, for
    code that writes Markdown sentences around them (core/tasks/explaining.py's lines)."""
    escaped = []
    for record in records:
        copy = dataclasses.replace(record, message=escape(record.message),
                                   class_names=[escape(name) for name in record.class_names],
                                   group_metric={escape(name): values for name, values in record.group_metric.items()})
        escaped.append(copy)
    return escaped


def success(template: str, *values: Any, icon: str | None = None, **named: Any) -> None:
    st.success(fill(template, *values, **named), icon=icon)
