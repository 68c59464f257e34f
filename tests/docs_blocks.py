"""The Python blocks of README.md and docs/*.md, as the docs check reads them.

A block may be preceded by an HTML comment the reader does not see:

- ``<!-- check: prelude ... -->``: code run just before the block (scripting the local
  server's replies, defining the names the block assumes);
- ``<!-- check: skip (why) -->``: the block is not run (it needs a cloud account, or it is
  openai-python code shown for comparison); it is still type-checked unless the reason
  says ``openai-python`` or ``not type-checked``. Lines after the reason are a prelude
  for the type check only (declaring what the block assumes, like the user's audio source).

Blocks of one page share one namespace, in order, as a reader runs them one after another.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
_COMMENT = re.compile(r"<!--\s*check:\s*(?P<kind>prelude|skip)(?P<rest>.*?)-->\s*\Z", re.S)


@attrs.frozen
class Block:
    page: str
    line: int  # of the block's first code line in the page
    code: str
    prelude: str = ""
    skip: str | None = None  # the reason, when not run

    @property
    def type_checked(self) -> bool:
        return self.skip is None or not (
            "openai-python" in self.skip or "not type-checked" in self.skip
        )


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found: list[Block] = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip()
        prelude, skip = "", None
        comment = _COMMENT.match(before[before.rfind("<!--") :]) if before.endswith("-->") else None
        if comment is not None:
            rest = comment.group("rest")
            if comment.group("kind") == "prelude":
                prelude = textwrap.dedent(rest.strip("\n"))
            else:
                reason, _, declarations = rest.strip("\n").partition("\n")
                skip = reason.strip() or "skipped"
                prelude = textwrap.dedent(declarations)
        found.append(
            Block(
                page=str(page.relative_to(ROOT)),
                line=text.count("\n", 0, match.start("code")) + 1,
                code=textwrap.dedent(match.group("code")),
                prelude=prelude,
                skip=skip,
            )
        )
    return found
