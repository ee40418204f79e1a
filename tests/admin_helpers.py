"""Driving the Django admin as staff do: the changelist's action form and the change form."""

from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse

from tests.factories import UserFactory


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_page(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_action(client, model, action: str, objects):
    """POST the changelist's action form with `objects` ticked."""
    return client.post(changelist(model), {"action": action, "_selected_action": [obj.pk for obj in objects]})


def told(response) -> list[tuple[str, str]]:
    """The messages the admin queued for staff while handling `response`'s request."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def superuser():
    return UserFactory(username="sue", is_staff=True, is_superuser=True)


def staff_with(user, *codenames: str):
    """`user` (staff) given only these model permissions, e.g. "view_space"."""
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def _form_data(form) -> dict:
    data = {}
    for field in form:
        value = field.field.prepare_value(field.value())
        widget = field.field.widget
        if isinstance(widget, CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{field.html_name}_{index}"] = part
        elif value is not None:
            data[field.html_name] = value
    return data


def change_form_data(client, obj) -> dict:
    """What the change form of `obj` posts back when staff press Save without editing
    (editable fields and every inline's management form)."""
    response = client.get(change_page(obj))
    assert response.status_code == 200
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(_form_data(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(_form_data(form))
    return data


def save_change_form(client, obj, **changes):
    """Press Save on `obj`'s change form with `changes` posted on top of what it shows."""
    data = change_form_data(client, obj) | changes
    response = client.post(change_page(obj), data)
    # A saved form redirects; a form redisplayed with errors would hide whether it saved.
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


# Who is turned away from an admin action, and how: people who are not staff go to the
# login page, staff without the model's permissions get 403, staff who may only look at the
# model are not offered the action. Superusers (and staff with the change permission) act.
REFUSED = ("guest", "listener", "staff", "viewer")


def log_in(client, people, persona: str, view_permission: str) -> None:
    if persona == "guest":
        return
    user = staff_with(people.staff, view_permission) if persona == "viewer" else getattr(people, persona)
    client.force_login(user)


def assert_turned_away(response, persona: str) -> None:
    if persona in ("guest", "listener"):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    elif persona == "staff":
        assert response.status_code == 403
    else:
        assert not [text for level, text in told(response) if level == "success"]


def assert_no_add_or_delete(client, obj, *, add: bool = False) -> None:
    """Rows the services own: the admin offers no add form (unless `add`), and neither the
    delete page nor the changelist's bulk delete removes `obj`."""
    model = type(obj)
    if not add:
        assert client.get(changelist(model) + "add/").status_code == 403
    assert client.post(change_page(obj) + "delete/", {"post": "yes"}).status_code == 403
    run_action(client, model, "delete_selected", [obj])
    assert model.objects.filter(pk=obj.pk).exists()
