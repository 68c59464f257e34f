"""python -m codegen [--spec PATH] [--out DIR]: regenerate trio_openai/types/ and resources/."""

from __future__ import annotations

import argparse
from pathlib import Path

from .generate import default_spec, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--spec",
        default=str(default_spec()),
        help="the OpenAPI spec, JSON or YAML (default: $OPENAPI_SPEC, else ../shared/openapi)",
    )
    parser.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parent.parent / "trio_openai"),
        help="the package directory to write types/ and resources/ into",
    )
    args = parser.parse_args(argv)
    files = generate(args.spec, args.out)
    print(f"wrote {len(files)} files into {Path(args.out)}/{{types,resources}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
