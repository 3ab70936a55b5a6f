"""Render report blocks to one self-contained HTML file: inline CSS, charts embedded as base64 PNG."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from bench.report.blocks import Block, Bullets, Figure, Heading, Paragraph, Table

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#111;background:#fff;margin:0}
main{max-width:1100px;margin:0 auto;padding:1.5em 2em 3em;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #111;padding-bottom:.3em}
h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #999}
h3{font-size:1.05em;margin-top:1.5em}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #999;padding:.3em .55em;vertical-align:top}
th{background:#eee;text-align:left}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px;font-size:.95em}
figure{margin:1em 0;break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}table{display:table}}
"""
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """Escape, then turn the **bold** and `code` marks into tags."""
    escaped = html.escape(text, quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text.lower()).strip("-")


def _table(block: Table) -> str:
    head = "".join(f"<th>{inline(h)}</th>" for h in block.header)
    body = []
    for row in block.rows:
        cells = "".join(f'<td class="num">{inline(c)}</td>' if right else f"<td>{inline(c)}</td>"
                        for c, right in zip(row, block.numeric, strict=False))
        body.append(f"<tr>{cells}</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"


def _figure(block: Figure, run_dir: Path) -> str:
    path = run_dir / block.path
    caption = inline(block.caption)
    if not path.is_file():
        return f"<figure><figcaption>{caption} ({html.escape(block.path)})</figcaption></figure>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = html.escape(block.caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'data-file="{html.escape(block.path)}"><figcaption>{caption}</figcaption></figure>')


def render(title: str, blocks: list[Block], run_dir: Path, lang: str) -> str:
    parts = [f"<h1>{inline(title)}</h1>"]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f'<h{block.level} id="{_slug(block.text)}">{inline(block.text)}</h{block.level}>')
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            parts.append("<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in block.items) + "\n</ul>")
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(_figure(block, run_dir))
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")
