"""A host schedules a space through the form, fixes a mistake, and finds it on their profile."""

import pytest
from playwright.sync_api import expect

from rooms.models import Space
from tests.e2e.conftest import shoot
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def test_it_schedules_a_space_through_the_form(page_as):
    host = UserFactory(username="maya")
    page = page_as(host)
    page.goto("/spaces/new/")
    page.fill("input[name=title]", "Open-source maintainers' coffee")
    page.fill("input[name=topics]", "opensource, django")
    page.check("input[name=when][value=later]")
    page.fill("input[name=scheduled_for]", "2020-01-01T10:00")
    page.click("button:has-text('Create space')")
    # A time in the past is refused with a clear error and creates nothing.
    expect(page.locator(".field-error")).to_contain_text("future")
    assert not Space.objects.exists()
    shoot(page, "space-new-error-desktop")

    page.check("input[name=when][value=later]")
    page.evaluate(
        """() => {
          const d = new Date(Date.now() + 3 * 86400e3);
          const pad = (n) => String(n).padStart(2, "0");
          document.querySelector("input[name=scheduled_for]").type = "datetime-local";
          document.querySelector("input[name=scheduled_for]").value =
            `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
        }"""
    )
    page.check("input[name=record]")
    page.click("button:has-text('Create space')")
    expect(page.get_by_role("heading", name="Open-source maintainers' coffee")).to_be_visible()
    expect(page.get_by_role("button", name="Start now")).to_be_visible()
    space = Space.objects.get()
    assert space.state == Space.State.SCHEDULED and space.record
    assert sorted(space.topics.values_list("name", flat=True)) == ["django", "opensource"]

    fan = page_as(UserFactory(username="lena"), phone=True)
    fan.goto(f"/u/{host.username}/")
    fan.click("button:has-text('Follow')")
    expect(fan.get_by_role("button", name="Following ✓")).to_be_visible()
    expect(fan.get_by_text("Open-source maintainers' coffee")).to_be_visible()
    shoot(fan, "profile-phone")

    page.click("button:has-text('Start now')")
    expect(page.locator("#state-pill")).to_contain_text("Live")
    expect(page.locator("#stage .person", has_text="maya")).to_be_visible()
    assert Space.objects.get().state == Space.State.LIVE
