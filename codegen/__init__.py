"""The generator of trio_openai's API surface from the OpenAPI spec.

    python -m codegen [--spec PATH] [--out trio_openai]

Reads the spec (default: ../shared/openapi/openapi.json beside the repository) and writes
`trio_openai/types/`: one attrs class per object schema, grouped by API area, plus the
decode functions of the unions and a lazy name index. Output is deterministic: the same
spec gives byte-for-byte the same files.

Modules: `names` (identifiers), `spec` (loading and walking the spec), `ir` (schemas to
an intermediate form of classes, unions and aliases), `layout` (which module holds what),
`emit` (Python source).
"""
