"""Auto-paging lists over real sockets, for each page shape of the spec."""

from __future__ import annotations

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
