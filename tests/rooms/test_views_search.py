"""Search by title, topic and description."""

import pytest
from django.urls import reverse

from rooms.models import Space, Topic
from tests.factories import SpaceFactory

State = Space.State
URL = reverse("search")


def found(response):
    return sorted(s.pk for s in response.context["page"].object_list)


@pytest.fixture
def catalogue(db):
    django = Topic.objects.create(name="django")
    by_title = SpaceFactory(title="Django deployment stories")
    by_topic = SpaceFactory(title="Web frameworks")
    by_topic.topics.add(django)
    by_description = SpaceFactory(title="Friday hangout", description="We talk about Django and tea")
    both = SpaceFactory(title="Django 6", state=State.ENDED)
    both.topics.add(django)
    cancelled = SpaceFactory(title="Django cancelled", state=State.CANCELLED)
    unrelated = SpaceFactory(title="Gardening")
    return {
        "title": by_title,
        "topic": by_topic,
        "description": by_description,
        "both": both,
        "cancelled": cancelled,
        "unrelated": unrelated,
    }


def test_it_shows_the_search_form_without_a_query(client, catalogue):
    response = client.get(URL)

    assert response.status_code == 200
    assert found(response) == []
    assert "Search spaces" in response.content.decode()


def test_it_finds_spaces_by_title_topic_and_description(client, catalogue):
    response = client.get(URL, {"q": "django"})

    assert response.status_code == 200
    expected = [catalogue[k].pk for k in ("title", "topic", "description", "both")]
    assert found(response) == sorted(expected)
    body = response.content.decode()
    assert "Web frameworks" in body
    assert "4 spaces" in body


def test_it_finds_a_topic_written_as_a_hashtag(client, catalogue):
    response = client.get(URL, {"q": "#Django"})

    assert catalogue["topic"].pk in found(response)


def test_it_ignores_case_in_titles(client, catalogue):
    response = client.get(URL, {"q": "GARDENING"})

    assert found(response) == [catalogue["unrelated"].pk]


def test_it_never_shows_cancelled_spaces(client, catalogue):
    response = client.get(URL, {"q": "cancelled"})

    assert found(response) == []
    assert "No spaces match" in response.content.decode()


def test_it_lists_each_space_once(client, catalogue):
    response = client.get(URL, {"q": "django"})

    pks = [s.pk for s in response.context["page"].object_list]
    assert len(pks) == len(set(pks))


def test_it_says_when_nothing_matches(client, catalogue):
    response = client.get(URL, {"q": "quantum"})

    assert response.status_code == 200
    assert "No spaces match “quantum”" in response.content.decode()


def test_it_pages_results(client, db):
    for n in range(25):
        SpaceFactory(title=f"Podcast {n}", state=State.ENDED)

    first = client.get(URL, {"q": "podcast"})
    second = client.get(URL, {"q": "podcast", "page": "2"})

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in first.content.decode()
    assert not set(found(first)) & set(found(second))


def test_it_falls_back_to_a_valid_page(client, catalogue):
    response = client.get(URL, {"q": "django", "page": "zzz"})

    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_it_trims_a_long_query(client, catalogue):
    response = client.get(URL, {"q": "x" * 500})

    assert response.status_code == 200
    assert len(response.context["query"]) == 100


def test_it_lists_live_spaces_first_then_upcoming_then_ended(client, db):
    ended = SpaceFactory(title="Jazz night one", state=State.ENDED)
    upcoming = SpaceFactory(title="Jazz night two", state=State.SCHEDULED)
    live = SpaceFactory(title="Jazz night three")

    response = client.get(URL, {"q": "jazz"})

    assert [s.pk for s in response.context["page"].object_list] == [live.pk, upcoming.pk, ended.pk]
