"""The generator of trio_openai's API surface from the OpenAPI spec.

    python -m codegen [--spec PATH] [--out trio_openai]

Reads the spec ($OPENAPI_SPEC, else ../shared/openapi/openapi.json beside the repository,
else the machine's /work/shared copy) and writes:

- `trio_openai/types/`: one attrs class per object schema, grouped by API area, the decode
  functions of the unions, a lazy name index, and `params.py` (TypedDicts of the request
  objects, for annotations);
- `trio_openai/resources/`: one class per resource (``client.vector_stores.files``), one
  thin async method per operation (with ``stream=True`` overloads where the reply can
  stream), its ``with_raw_response`` / ``with_streaming_response`` wrapper classes,
  `__init__.py` (`Areas`: the client's typed top-level attributes) and `_registry.py`.

Output is deterministic: the same spec gives byte-for-byte the same files.

Modules: `names` (identifiers), `spec` (loading and walking the spec), `ir` (schemas to
an intermediate form of classes, unions and aliases), `layout` (which module holds what),
`emit` (model source), `naming` (the operation -> ``resource.method`` table), `params`
(request types), `operations` (operations to method definitions), `resources` (their
source), `surface` (the client's areas and the raw/streaming wrapper classes).
"""
