"""GET /report/ (the form) and POST /report/ (filing), per persona, as HTML and as JSON."""

import pytest
from django.urls import reverse

from moderation.models import Hold, Report
from rooms.models import Notification

URL = reverse("report")
JSON = {"HTTP_ACCEPT": "application/json"}
# Everyone signed in but the speaker may report the speaker (the removed listener too: the
# space's page stays open to them).
MAY_REPORT = ["host", "cohost", "listener", "removed", "outsider", "staff", "moderator"]


def as_(client, people, persona):
    user = getattr(people, persona)
    if user.is_authenticated:
        client.force_login(user)
    return client


def speaker_query(people, **extra):
    return {"kind": "speaker", "id": people.speaker.pk, "space": people.space.pk, **extra}


def filing(people, **extra):
    return {**speaker_query(people), "category": "harassment", "text": "Shouting", **extra}


# --- the form ----------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", MAY_REPORT)
def test_it_shows_the_form(client, people, persona):
    response = as_(client, people, persona).get(URL, speaker_query(people))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Report sam in “Founders talk”" in page
    assert "we note the moment you send this" in page
    for value, label in Report.Category.choices:
        assert f'value="{value}"' in page and label in page
    assert f'name="space" value="{people.space.pk}"' in page


def test_it_sends_a_guest_to_log_in(client, people):
    response = client.get(URL, speaker_query(people))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_it_refuses_the_form_for_reporting_yourself(client, people):
    response = as_(client, people, "speaker").get(URL, speaker_query(people))

    assert response.status_code == 400
    assert "You cannot report yourself." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "speaker", "id": "987654", "space": "1"},
        {"kind": "user", "id": "987654"},
        {"kind": "clip", "id": "x"},
        {"kind": "recording", "id": ""},
        {"kind": "space", "id": "987654"},
    ],
)
def test_it_answers_404_for_what_is_not_there(client, people, query):
    response = as_(client, people, "listener").get(URL, query)
    assert response.status_code == 404


def test_it_answers_400_for_an_unknown_kind(client, people):
    response = as_(client, people, "listener").get(URL, {"kind": "post", "id": "1"})
    assert response.status_code == 400


def test_it_shows_the_replay_position(client, people, past):
    response = as_(client, people, "listener").get(URL, {"kind": "recording", "id": past.pk, "at": 70_000})

    page = response.content.decode()
    assert "where you were in the replay (1:10)" in page
    assert 'name="at" value="70000"' in page


# --- filing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", MAY_REPORT)
def test_it_files_a_report_and_goes_back(client, people, persona):
    response = as_(client, people, persona).post(URL, filing(people, next=f"/spaces/{people.space.pk}/"))

    assert response.status_code == 302
    assert response.url == f"/spaces/{people.space.pk}/"
    report = Report.objects.get()
    assert (report.reporter, report.kind, report.reported_user, report.category, report.text) == (
        getattr(people, persona),
        "speaker",
        people.speaker,
        "harassment",
        "Shouting",
    )
    assert Hold.objects.filter(report=report).exists()


def test_it_says_thanks(client, people):
    response = as_(client, people, "listener").post(URL, filing(people), follow=True)

    assert "Thanks: we got your report about sam in “Founders talk”" in response.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_it_goes_back_only_to_this_site(client, people, next_url):
    response = as_(client, people, "listener").post(URL, filing(people, next=next_url))

    assert response.url == people.space.get_absolute_url()


def test_it_sends_a_guest_to_log_in_and_files_nothing(client, people):
    response = client.post(URL, filing(people))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Report.objects.exists()


def test_it_refuses_reporting_yourself(client, people):
    response = as_(client, people, "speaker").post(URL, filing(people))

    assert response.status_code == 400
    assert not Report.objects.exists()


def test_it_shows_a_missing_category_on_the_form(client, people):
    response = as_(client, people, "listener").post(URL, filing(people, category=""))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose what is wrong from the list." in page
    assert "Shouting</textarea>" in page  # what they typed is kept
    assert not Report.objects.exists()


def test_it_answers_json(client, people):
    response = as_(client, people, "listener").post(URL, filing(people), **JSON)

    assert response.status_code == 201
    data = response.json()["report"]
    report = Report.objects.get()
    assert data["id"] == report.pk
    assert {
        k: data[k] for k in ("kind", "category", "status", "space_id", "reported_user_id", "times", "during_space")
    } == {
        "kind": "speaker",
        "category": "harassment",
        "status": "open",
        "space_id": people.space.pk,
        "reported_user_id": people.speaker.pk,
        "times": 1,
        "during_space": True,
    }
    assert isinstance(data["moment_ms"], int)

    again = client.post(URL, filing(people), **JSON)
    assert again.status_code == 200
    assert again.json()["report"]["times"] == 2


@pytest.mark.parametrize(
    "data, status, code",
    [
        ({"category": "rude"}, 400, "bad_category"),
        ({"text": "x" * 2001}, 400, "text_too_long"),
        ({"id": "987654"}, 404, "not_found"),
        ({"kind": "thing"}, 400, "bad_kind"),
    ],
)
def test_it_answers_json_errors(client, people, data, status, code):
    response = as_(client, people, "listener").post(URL, filing(people, **data), **JSON)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Report.objects.exists()


def test_it_answers_429_past_the_hourly_limit(client, people, settings):
    settings.MODERATION = {**settings.MODERATION, "REPORTS_PER_HOUR": 1}
    as_(client, people, "listener").post(URL, {"kind": "user", "id": people.outsider.pk, "category": "spam"})

    response = client.post(URL, filing(people), **JSON)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"

    page = client.post(URL, filing(people))
    assert page.status_code == 429
    assert "reports an hour" in page.content.decode()
    assert Report.objects.count() == 1


def test_it_refuses_other_methods(client, people):
    response = as_(client, people, "listener").put(URL)
    assert response.status_code == 405


# --- the links on the site's pages ---------------------------------------------------------------
def report_links(response) -> int:
    return response.content.decode().count('href="/report/?')


@pytest.mark.parametrize("persona, shown", [("listener", 1), ("outsider", 1), ("host", 0), ("guest", 0)])
def test_it_links_the_room_page_to_reporting_the_space(client, people, persona, shown):
    response = as_(client, people, persona).get(people.space.get_absolute_url())
    assert report_links(response) == shown


@pytest.mark.parametrize("persona, shown", [("listener", 1), ("host", 0), ("guest", 0)])
def test_it_links_the_replay_page(client, people, past, persona, shown):
    response = as_(client, people, persona).get(past.get_absolute_url())

    assert report_links(response) == shown
    assert ("js/report-moment.js" in response.content.decode()) == bool(shown)


@pytest.mark.parametrize("persona, shown", [("listener", 1), ("guest", 0)])
def test_it_links_the_clip_page(client, people, clip, persona, shown):
    response = as_(client, people, persona).get(clip.get_absolute_url())
    assert report_links(response) == shown


def test_it_hides_the_clip_link_from_its_maker(client, people, clip):
    client.force_login(clip.creator)
    assert report_links(client.get(clip.get_absolute_url())) == 0


@pytest.mark.parametrize("persona, shown", [("listener", 1), ("speaker", 0), ("guest", 0)])
def test_it_links_the_profile_page(client, people, persona, shown):
    response = as_(client, people, persona).get(reverse("profile", args=["sam"]))
    assert report_links(response) == shown


def test_it_tells_the_reporter_in_the_bell(client, people):
    as_(client, people, "listener").post(URL, filing(people))

    assert Notification.objects.filter(user=people.listener).count() == 1
