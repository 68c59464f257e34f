"""Auto-paging lists over real sockets, for each page shape of the spec."""

from __future__ import annotations

import gc
import tracemalloc

import orjson
import pytest

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply


def items(*ids: str) -> list[dict[str, str]]:
    return [{"id": i, "object": "file"} for i in ids]


async def test_cursor_pages_follow_the_last_id(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET",
        "/v1/files",
        Reply.json({"object": "list", "data": items("a", "b"), "has_more": True}),
        Reply.json({"object": "list", "data": items("c"), "has_more": False}),
    )
    got = [
        f async for f in client._paginate("/files", query={"limit": 2, "purpose": trio_openai.omit})
    ]
    assert [f["id"] for f in got] == ["a", "b", "c"]
    assert [r.query for r in local_server.requests] == [
        {"limit": ["2"]},
        {"limit": ["2"], "after": ["b"]},
    ]


async def test_last_id_wins_and_empty_page_with_has_more_continues(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET",
        "/v1/conversations/c1/items",
        Reply.json({"data": items("a"), "has_more": True, "last_id": "a"}),
        Reply.json({"data": [], "has_more": True, "last_id": "z9"}),  # openai-go #890
        Reply.json({"data": items("b"), "has_more": False, "last_id": "b"}),
    )
    got = [x["id"] async for x in client._paginate("/conversations/c1/items")]
    assert got == ["a", "b"]
    assert [r.query.get("after") for r in local_server.requests] == [None, ["a"], ["z9"]]


async def test_next_field_shape(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "GET",
        "/v1/organization/groups",
        Reply.json({"data": items("g1"), "has_more": True, "next": "cur-2"}),
        Reply.json({"data": items("g2"), "has_more": False, "next": None}),
    )
    got = [
        x["id"] async for x in client._paginate("/organization/groups", shape="next", admin=True)
    ]
    assert got == ["g1", "g2"]
    assert local_server.requests[1].query["after"] == ["cur-2"]


async def test_page_token_shape(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "GET",
        "/v1/organization/costs",
        Reply.json({"data": [{"id": 1}], "has_more": True, "next_page": "p2"}),
        Reply.json({"data": [{"id": 2}], "has_more": False, "next_page": None}),
    )
    pages = [p async for p in client._paginate("/organization/costs", shape="page").pages()]
    assert [[x["id"] for x in p.data] for p in pages] == [[1], [2]]
    assert local_server.requests[1].query["page"] == ["p2"]
    assert not pages[-1].has_next_page()


async def test_single_page_shape(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "GET", "/v1/models", Reply.json({"object": "list", "data": items("m1", "m2")})
    )
    got = [m["id"] async for m in client._paginate("/models", shape="single")]
    assert got == ["m1", "m2"]
    assert len(local_server.requests) == 1


async def test_first_page_and_await(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "GET", "/v1/files", Reply.json({"data": items("a"), "has_more": True, "last_id": "a"})
    )
    paginator = client._paginate("/files", decode_item=lambda d: d["id"])
    page = await paginator.first_page()
    assert page.data == ["a"] and page.has_more and page.has_next_page()
    assert page.next_page_query() == {"after": "a"}
    assert page.http_response is not None and page.http_response.status_code == 200
    again = await paginator
    assert again.data == ["a"]


async def test_break_early_fetches_no_more_pages(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files", Reply.json({"data": items("a", "b"), "has_more": True}))
    async for item in client._paginate("/files"):
        assert item["id"] == "a"
        break
    assert len(local_server.requests) == 1


async def test_page_errors_are_typed_and_retried(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    def reply(request: RecordedRequest) -> Reply:
        if "after" in request.query:
            return Reply.error(404, message="gone")
        return Reply.json({"data": items("a"), "has_more": True})

    local_server.script("GET", "/v1/files", Reply.handler(reply))
    got = []
    with pytest.raises(trio_openai.NotFoundError):
        async for item in client._paginate("/files"):
            got.append(item["id"])
    assert got == ["a"]


async def test_cursor_that_does_not_advance_stops(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # A server that keeps answering has_more with the same cursor must not loop forever.
    local_server.script(
        "GET", "/v1/files", Reply.json({"data": items("a"), "has_more": True, "last_id": "a"})
    )
    got = [x["id"] async for x in client._paginate("/files")]
    assert got == ["a", "a"]
    assert len(local_server.requests) == 2


def file_items(*ids: str) -> list[dict[str, object]]:
    return [
        {
            "id": i,
            "object": "file",
            "bytes": 1,
            "created_at": 1,
            "filename": f"{i}.jsonl",
            "purpose": "batch",
        }
        for i in ids
    ]


FIRST = {
    "object": "list",
    "data": file_items("a", "b"),
    "has_more": True,
    "first_id": "a",
    "last_id": "b",
}
SECOND = {
    "object": "list",
    "data": file_items("c", "d"),
    "has_more": True,
    "first_id": "c",
    "last_id": "d",
}
LAST = {
    "object": "list",
    "data": file_items("e"),
    "has_more": False,
    "first_id": "e",
    "last_id": "e",
}


def script_three_pages(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/files", Reply.json(FIRST), Reply.json(SECOND), Reply.json(LAST))


async def test_page_methods_as_openai_python(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai._pagination import PageInfo

    script_three_pages(local_server)
    page = await client.files.list(limit=2, purpose="batch")
    assert [f.id for f in page.data] == ["a", "b"]
    assert page.has_next_page()
    assert page.next_page_info() == PageInfo(params={"after": "b"})
    assert page.to_dict() == FIRST
    assert (page.first_id, page.last_id, page.has_more) == ("a", "b", True)
    page.to_dict()["data"].clear()  # a copy: the page keeps what it received
    assert page.to_dict() == FIRST

    second = await page.get_next_page()
    assert [f.id for f in second.data] == ["c", "d"]
    assert second.to_dict() == SECOND
    last = await second.get_next_page()
    assert last.to_dict() == LAST
    assert not last.has_next_page()
    assert last.next_page_info() is None
    with pytest.raises(RuntimeError, match=r"check `\.has_next_page\(\)`"):
        await last.get_next_page()
    # each request kept the caller's query and moved only the cursor
    assert [r.query for r in local_server.requests] == [
        {"limit": ["2"], "purpose": ["batch"]},
        {"limit": ["2"], "purpose": ["batch"], "after": ["b"]},
        {"limit": ["2"], "purpose": ["batch"], "after": ["d"]},
    ]


async def test_iterating_a_page_goes_on_across_the_following_pages(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    script_three_pages(local_server)
    page = await client.files.list(limit=2)
    assert [f.id async for f in page] == ["a", "b", "c", "d", "e"]
    assert len(local_server.requests) == 3

    local_server.reset()
    script_three_pages(local_server)
    first = await client.files.list()
    second = await first.get_next_page()
    assert [f.id async for f in second] == ["c", "d", "e"]  # from that page on
    assert [[f.id for f in p.data] async for p in second.iter_pages()] == [["c", "d"], ["e"]]


async def test_the_paginator_still_iterates_items_and_pages(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    script_three_pages(local_server)
    assert [f.id async for f in client.files.list()] == ["a", "b", "c", "d", "e"]
    local_server.reset()
    script_three_pages(local_server)
    pages = [p async for p in client.files.list().pages()]
    assert [p.to_dict() for p in pages] == [FIRST, SECOND, LAST]
    local_server.reset()
    script_three_pages(local_server)
    assert (await client.files.list().first_page()).to_dict() == FIRST


async def test_next_page_info_of_the_other_shapes(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai._pagination import PageInfo

    local_server.script(
        "GET",
        "/v1/organization/costs",
        Reply.json({"object": "page", "data": [], "has_more": True, "next_page": "p2"}),
    )
    page = await client._paginate("/organization/costs", shape="page", query={"limit": 1})
    assert page.next_page_info() == PageInfo(params={"page": "p2"})
    assert page.next_page_query() == {"limit": 1, "page": "p2"}
    local_server.script("GET", "/v1/models", Reply.json({"object": "list", "data": items("m1")}))
    models = await client.models.list()
    assert models.next_page_info() is None
    assert not models.has_next_page()


async def test_a_page_of_models_gives_back_the_list_as_sent(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # The page keeps the models, not the item dicts: what it gives back is rebuilt from
    # them, and must be the list response as the server sent it (extras, nulls, order).
    items = file_items("a", "b", "c")
    items[0]["status_details"] = None
    items[1]["zz_undeclared"] = {"nested": [1, None]}
    items[2] = {"purpose": "batch", "id": "c", "object": "file"}  # keys out of class order
    sent = {"object": "list", "first_id": "a", "data": items, "has_more": False, "x": [1]}
    local_server.script("GET", "/v1/files", Reply.json(sent))
    page = await client.files.list()
    assert page.to_dict() == sent
    assert list(page.to_dict()) == list(sent)
    assert page.to_json() == orjson.dumps(page.to_dict())
    assert orjson.loads(page.to_json()) == sent
    assert dict(page.raw) == sent
    assert page.raw["data"] == items
    assert (page.raw.get("first_id"), page.first_id, page.has_more) == ("a", "a", False)
    page.data.clear()  # the caller's list: the page still gives back what it received
    page.to_dict()["x"].append(2)
    assert page.to_dict() == sent


async def test_a_page_of_models_does_not_keep_the_item_dicts(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # A list page of 2,000 small objects: as dicts (orjson's) they take ~3.8x the JSON,
    # the models holding the same values ~2.9x. Keeping both would be over 5x.
    items = [{**file_items(f"file-{i:06d}")[0], "status": "processed"} for i in range(2000)]
    body = orjson.dumps({"object": "list", "data": items, "has_more": False})
    local_server.script("GET", "/v1/files", Reply.json(orjson.loads(body)))
    gc.collect()
    tracemalloc.start()
    try:
        dicts = orjson.loads(body)
        as_dicts = tracemalloc.get_traced_memory()[0]
        del dicts
        before = tracemalloc.get_traced_memory()[0]
        page = await client.files.list()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(page.data) == 2000
    assert kept < as_dicts - before, (kept, as_dicts - before)
    assert page.to_dict()["data"] == items


async def test_a_big_page_decodes_as_sent(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # Over 1 MiB the body is parsed in slices (_json_slices): the same page either way.
    items = [
        {**file_items(f"file-{i:06d}")[0], "filename": 'a},{"data":[]' * (i % 3)}
        for i in range(12_000)
    ]
    sent = {"object": "list", "data": items, "has_more": True}  # no last_id: the last item's
    assert len(orjson.dumps(sent)) > 1 << 20
    last = {"object": "list", "data": file_items("z"), "has_more": False}
    local_server.script("GET", "/v1/files", Reply.json(sent), Reply.json(last))
    page = await client.files.list()
    assert [f.id for f in page.data] == [i["id"] for i in items]
    assert orjson.loads(page.to_json()) == sent  # items' keys in the models' order
    assert [f.id for f in (await page.get_next_page()).data] == ["z"]
    assert local_server.requests[1].query == {"after": ["file-011999"]}
