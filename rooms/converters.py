"""URL converters."""


class UsernameConverter:
    """The characters Django's username validator allows: any other path (a NUL byte, which
    PostgreSQL cannot even compare) is no user's, and 404s before a query is made."""

    regex = r"[\w.@+-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
