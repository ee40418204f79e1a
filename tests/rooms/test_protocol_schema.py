"""docs/room-protocol.schema.json against the consumer and docs/room-protocol.md.

The schema is checked here against the code (every handler has a client message) and the
prose (every example validates, every type and error code is described). That the server
sends only messages of the schema is proved by the whole socket suite: RoomSocket validates
every message it receives (tests/rooms/socket_helpers.py).
"""

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rooms.consumers import REACTIONS, RoomConsumer
from tests.rooms.socket_helpers import SCHEMA, schema_errors

DOC = (Path(__file__).parents[2] / "docs" / "room-protocol.md").read_text()
MESSAGES = Draft202012Validator(SCHEMA)


def types_of(union: str) -> set[str]:
    """The `type` of each message of `client_message` or `server_message`."""
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in SCHEMA["$defs"][union]["oneOf"]]
    return {SCHEMA["$defs"][name]["properties"]["type"]["const"] for name in names}


def doc_examples() -> list[dict]:
    """Every JSON object in the ```json blocks of the doc (a block may hold several)."""
    decoder = json.JSONDecoder()
    examples = []
    for block in re.findall(r"```json\n(.*?)```", DOC, re.S):
        at = 0
        while (at := len(block) - len(block[at:].lstrip())) < len(block):
            example, at = decoder.raw_decode(block, at)
            examples.append(example)
    return examples


EXAMPLES = doc_examples()


def test_it_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_it_has_a_client_message_for_every_handler_of_the_consumer():
    assert types_of("client_message") == set(RoomConsumer.HANDLERS)


def test_it_tells_client_and_server_messages_apart_by_type():
    assert not types_of("client_message") & types_of("server_message")


def test_it_allows_the_reactions_the_consumer_allows():
    assert SCHEMA["$defs"]["emoji"]["enum"] == list(REACTIONS)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.get("type"))
def test_every_example_of_the_doc_validates(example):
    errors = [error.message for error in MESSAGES.iter_errors(example)]
    assert not errors, f"{example!r}: {errors}"


def test_the_doc_has_an_example_and_a_section_for_every_message_type():
    every_type = types_of("client_message") | types_of("server_message")
    assert {example["type"] for example in EXAMPLES} == every_type
    for type_ in every_type:
        assert f"### `{type_}`" in DOC, f"no section for {type_!r}"


def test_the_doc_lists_exactly_the_error_codes_of_the_schema():
    section = DOC.split("Codes the room socket can send:", 1)[1].split("Codes used elsewhere", 1)[0]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    assert sorted(listed) == sorted(SCHEMA["$defs"]["error"]["properties"]["code"]["enum"])


@pytest.mark.parametrize(
    "message",
    [
        {"type": "speaker.add"},  # user_id is required
        {"type": "speaker.add", "user_id": "42"},
        {"type": "speaker.add", "user_id": 2**63},
        {"type": "mute", "user_id": True},
        {"type": "reaction", "emoji": "🍕"},
        {"type": "recording.set", "on": 1},
        {"type": "recording.opt_out"},
        {"type": "media.offer", "sdp": "o=- 0 0 IN IP4 127.0.0.1"},
        {"type": "media.offer", "sdp": "v=0" + "x" * 16 * 1024},
        {"type": "ping", "ref": 1.5},
        {"type": "hand.raise", "userid": 4},  # misspelt: the server would ignore it
        {"type": "no.such.type"},
    ],
)
def test_it_refuses_client_messages_the_server_refuses_or_ignores(message):
    assert not MESSAGES.is_valid(message)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "pong", "extra": 1},
        {"type": "error", "code": "made_up", "message": "Made up."},
        {"type": "ack"},
        {"type": "levels", "levels": {"4": 1.5}},
        {"type": "participant.left", "user_id": 4, "reason": "bored"},
        {"type": "test.marker", "tag": "marker"},
    ],
)
def test_the_socket_helpers_refuse_a_message_outside_the_schema(message):
    assert schema_errors(message) is not None


def test_the_socket_helpers_accept_an_ack_of_a_boolean_ref():
    # The consumer takes true and false as integer refs and echoes them.
    assert schema_errors({"type": "ack", "ref": True}) is None
