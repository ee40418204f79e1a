"""Someone who blocked a person does not see that person's reactions in a room; everyone else
does. And the space page of a host who blocked you says so instead of opening the room."""

import pytest
from playwright.sync_api import expect

from rooms.models import Block
from tests.factories import SpaceFactory, UserFactory

pytestmark = pytest.mark.e2e

# Every reaction the page floats, kept past the float's short animation.
WATCH_FLOATS = """() => {
  window.floated = [];
  const stream = document.getElementById("reaction-stream");
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) window.floated.push(node.textContent);
  }).observe(stream, { childList: true });
}"""


def react(page, emoji):
    page.click("#btn-react")
    page.click(f"#react-menu button[data-emoji='{emoji}']")


def test_a_blocked_persons_reactions_are_hidden_from_the_blocker(page_as):
    space = SpaceFactory(title="Open mic", host=UserFactory(username="hana"))
    otto, lena, sam = (UserFactory(username=name) for name in ("otto", "lena", "sam"))
    Block.objects.create(blocker=otto, blocked=lena)

    pages = {}
    for user in (space.host, otto, lena, sam):
        pages[user.username] = page = page_as(user)
        page.goto(f"/spaces/{space.pk}/")
        expect(page.locator(".person", has_text=user.username).first).to_be_visible()
    for name in ("hana", "otto"):
        pages[name].evaluate(WATCH_FLOATS)

    react(pages["lena"], "👏")
    pages["hana"].wait_for_function("() => window.floated.includes('👏')")
    react(pages["sam"], "🔥")
    # The room's events arrive in order: once sam's reaction shows, lena's batch came before it.
    pages["otto"].wait_for_function("() => window.floated.includes('🔥')")

    assert "👏" not in pages["otto"].evaluate("() => window.floated")
    assert "🔥" in pages["hana"].evaluate("() => window.floated")


def test_the_page_of_a_host_who_blocked_you_does_not_open_the_room(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Closed to otto", host=host)
    otto = UserFactory(username="otto")
    Block.objects.create(blocker=host, blocked=otto)

    page = page_as(otto)
    page.goto(f"/spaces/{space.pk}/")

    expect(page.get_by_text("The host of this space has blocked you")).to_be_visible()
    expect(page.locator("#stage")).to_have_count(0)
