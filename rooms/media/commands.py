"""What the services tell the media engine that mixes a space: typed commands, sent after the
change commits, to the space's engine group (the engine holding the space's session joins it).

The engine acts on these alone, never on the events sent to browsers, so every path that takes
a voice off the stage (host or co-host action, removal, a dropped connection whose grace ran
out, a suspension) takes it out of the mix, whether or not the room hears of it at once."""

from dataclasses import asdict, dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

MESSAGE_TYPE = "engine.command"


@dataclass(frozen=True)
class Mute:
    """A speaker's microphone is muted or unmuted: the engine mixes silence while muted."""

    user_id: int
    muted: bool


@dataclass(frozen=True)
class Drop:
    """Someone is off the stage (demoted, removed, gone, suspended, stopped sending): their
    connection is closed and their voice leaves the mix and their track."""

    user_id: int
    reason: str


@dataclass(frozen=True)
class End:
    """The space ended: the session closes and its files are finished."""


COMMANDS = {cls.__name__.lower(): cls for cls in (Mute, Drop, End)}


def engine_group(space_id: int) -> str:
    return f"media.{space_id}"


def to_message(space_id: int, command) -> dict:
    return {"type": MESSAGE_TYPE, "space_id": space_id, "command": type(command).__name__.lower(), **asdict(command)}


def from_message(message: dict):
    fields = {k: v for k, v in message.items() if k not in ("type", "space_id", "command")}
    return COMMANDS[message["command"]](**fields)


def send_now(space_id: int, command) -> None:
    async_to_sync(get_channel_layer().group_send)(engine_group(space_id), to_message(space_id, command))


def send_command(space_id: int, command) -> None:
    """Tell the space's engine once the transaction commits (nothing if no engine has it)."""
    transaction.on_commit(lambda: send_now(space_id, command))


def stage_command(participant):
    """What the engine must do for a participant as they are now."""
    if participant.removed:
        return Drop(participant.user_id, "removed")
    if not participant.present:
        return Drop(participant.user_id, "left")
    if not participant.on_stage:
        return Drop(participant.user_id, "demoted")
    return Mute(participant.user_id, participant.muted)
