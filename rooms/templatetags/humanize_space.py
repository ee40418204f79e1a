from django import template

register = template.Library()


@register.filter
def listening(space) -> int:
    """Logged-in listeners present (annotated as member_count) plus guests."""
    return getattr(space, "member_count", 0) + space.guest_listeners
