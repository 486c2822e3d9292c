"""Render a policy `Document` (engine.policy_doc) as Markdown or as one HTML file.

In: a `Document`. Out: text. Markdown escapes what Markdown would read as markup (a `*`
or `|` in a label stays a character); HTML is self-contained (inline style, no script, no
external resource), UTF-8, and escapes every piece of text, so a policy's labels can never
inject markup into a published page.
"""

from __future__ import annotations

import html
import re

from engine.policy_doc import Block, Document, Heading, Items, Para

# --------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*\[\]|~]|<(?=[A-Za-z/!?]))")
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")  # not inside a word
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+[.)])", re.M)


def md_escape(text: str, block_start: bool = False) -> str:
    """Escape markup characters; `block_start`: the text opens a paragraph or list item,
    where `1.` or `#` would start a list or a heading."""
    text = _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1), text) if block_start else text


def _label(label: str, lang: str) -> str:
    sep = "：" if lang == "zh" else ": "
    return f"**{md_escape(label)}**{sep}" if label else ""


def _md_block(b: Block, lang: str) -> str:
    if isinstance(b, Heading):
        return "#" * b.level + " " + md_escape(b.text)
    if isinstance(b, Para):
        if not b.text:
            return f"**{md_escape(b.label)}**" + ("：" if lang == "zh" else ":")
        return _label(b.label, lang) + md_escape(b.text, block_start=not b.label)
    if isinstance(b, Items):
        marks = [f"{i}." if b.ordered else "-" for i in range(1, len(b.items) + 1)]
        return "\n".join(
            f"{m} {md_escape(t, block_start=True)}" for m, t in zip(marks, b.items, strict=True)
        )
    rows = [b.header, tuple("---" for _ in b.header), *b.rows]
    return "\n".join(
        "| " + " | ".join(c if i == 1 else md_escape(c) for c in r) + " |"
        for i, r in enumerate(rows)
    )


def render_markdown(doc: Document) -> str:
    return "\n\n".join(_md_block(b, doc.lang) for b in doc.blocks) + "\n"


# --------------------------------------------------------------------- HTML

_STYLE = """\
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
line-height:1.7;max-width:52em;margin:2em auto;padding:0 1em;color:#1a1a1a}
h1{border-bottom:2px solid #8b0000;padding-bottom:.3em}
h2{margin-top:2em;border-bottom:1px solid #ccc}
h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .8em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
@media print{body{max-width:none}}"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_block(b: Block, lang: str) -> str:
    if isinstance(b, Heading):
        return f"<h{b.level}>{_e(b.text)}</h{b.level}>"
    if isinstance(b, Para):
        sep = "：" if lang == "zh" else ": "
        label = f"<strong>{_e(b.label)}</strong>{_e(sep) if b.text else ''}" if b.label else ""
        return f"<p>{label}{_e(b.text)}</p>"
    if isinstance(b, Items):
        tag = "ol" if b.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{_e(t)}</li>" for t in b.items) + f"</{tag}>"
    head = "".join(f"<th>{_e(c)}</th>" for c in b.header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in b.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(doc: Document) -> str:
    lang = "zh-CN" if doc.lang == "zh" else "en"
    body = "\n".join(_html_block(b, doc.lang) for b in doc.blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(doc.title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
