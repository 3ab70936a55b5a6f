"""Render report blocks to Markdown (GitHub-flavoured tables; charts linked from charts/)."""

from __future__ import annotations

from bench.report.blocks import Block, Bullets, Figure, Heading, Paragraph, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(block: Table) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in block.header) + " |",
             "|" + "|".join("---:" if right else "---" for right in block.numeric) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(lines)


def render(title: str, blocks: list[Block]) -> str:
    parts = [f"# {title}"]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            parts.append(table(block))
        elif isinstance(block, Figure):
            parts.append(f"![{block.caption}]({block.path})")
    return "\n\n".join(parts) + "\n"
