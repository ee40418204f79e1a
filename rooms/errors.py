"""Errors a room action can end in. Views turn them into 4xx pages, the socket into `error` messages."""


class RoomError(Exception):
    code = "invalid"
    http_status = 400

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequest(RoomError):
    code = "invalid"
    http_status = 400


class NotAllowed(RoomError):
    code = "forbidden"
    http_status = 403


class NotFound(RoomError):
    code = "not_found"
    http_status = 404


class Conflict(RoomError):
    """The action is allowed but the space is not in a state where it can happen."""

    code = "conflict"
    http_status = 409
