"""A Python client generated from Madang's OpenAPI document, used as a
third-party developer would: proof that the document is enough to build on.

`.ci/api-document` generates the client (openapi-python-client, from
PyPI) into a temporary folder on PYTHONPATH, starts a server and runs this
file with MADANG_BASE set to it. Refusals come back typed as `ErrorBody`,
with the status and code the document lists for the operation.
"""

import json
import os
import secrets
import urllib.request
from http import HTTPStatus

from madang_client import AuthenticatedClient, Client
from madang_client.api.accounts import log_in, sign_up
from madang_client.api.chats import create_group, history, send
from madang_client.models import (
    CreateGroupRequest,
    ErrorBody,
    LoginRequest,
    Message,
    MessagePage,
    Room,
    SendMessageRequest,
    SessionResponse,
    SignUpRequest,
)

BASE = os.environ["MADANG_BASE"]
PASSWORD = "correct horse battery"


def document():
    with urllib.request.urlopen(f"{BASE}/api/v1/openapi.json") as r:
        return json.load(r)


def person(name: str) -> tuple[AuthenticatedClient, SessionResponse]:
    handle = f"{name}{secrets.token_hex(3)}"
    made = sign_up.sync(
        client=Client(base_url=BASE),
        body=SignUpRequest(handle=handle, password=PASSWORD, display_name=name),
    )
    assert isinstance(made, SessionResponse), made
    return AuthenticatedClient(base_url=BASE, token=made.token), made


def listed(path: str, method: str, status: int) -> list[str]:
    responses = document()["paths"][path][method]["responses"]
    return responses[str(status)]["x-error-codes"]


def test_two_people_talk_in_a_group_through_the_generated_client():
    minji, minji_session = person("minji")
    jun, jun_session = person("jun")
    room = create_group.sync(
        client=minji,
        body=CreateGroupRequest(title="주말 등산", member_ids=[jun_session.user.id]),
    )
    assert isinstance(room, Room), room

    sent = send.sync(
        room.id,
        client=minji,
        body=SendMessageRequest(client_id=secrets.token_hex(8), text="토요일 9시 북한산 입구에서 만나요"),
    )
    assert isinstance(sent, Message), sent
    assert sent.seq >= 1

    page = history.sync(room.id, client=jun)
    assert isinstance(page, MessagePage), page
    texts = [m.text for m in page.messages]
    assert "토요일 9시 북한산 입구에서 만나요" in texts
    assert all(m.room_id == room.id for m in page.messages)
    assert minji_session.user.id in {m.sender_id for m in page.messages}


def test_refusals_arrive_typed_with_the_codes_the_document_lists():
    outsider, _ = person("outsider")
    owner, _ = person("owner")
    room = create_group.sync(client=owner, body=CreateGroupRequest(title="비밀 모임", member_ids=[]))
    assert isinstance(room, Room), room

    refused = history.sync_detailed(room.id, client=outsider)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert isinstance(refused.parsed, ErrorBody)
    assert refused.parsed.error.code == "not_member"
    assert "not_member" in listed("/api/v1/rooms/{room}/messages", "get", 403)

    wrong = log_in.sync_detailed(
        client=Client(base_url=BASE),
        body=LoginRequest(handle="nobody_here", password="not the password"),
    )
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(wrong.parsed, ErrorBody)
    assert wrong.parsed.error.code == "bad_credentials"
    assert "bad_credentials" in listed("/api/v1/sessions", "post", 401)

    anonymous = history.sync_detailed(room.id, client=AuthenticatedClient(base_url=BASE, token="forged"))
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(anonymous.parsed, ErrorBody)
    assert anonymous.parsed.error.code in listed("/api/v1/rooms/{room}/messages", "get", 401)
