"""Recording notices in the room page: a listener joining a recorded space is told before any
audio plays; everyone is told when the host starts recording mid-space; someone brought up
to speak is told (and may leave their voice out of the replay) before their microphone opens."""

import pytest
from playwright.sync_api import expect

from rooms.models import Participant, Space
from tests.e2e.conftest import shoot
from tests.factories import ParticipantFactory, SpaceFactory, UserFactory

pytestmark = pytest.mark.e2e

Role = Participant.Role

# Counts the page's requests for the microphone, so a test can tell it was not asked for.
COUNT_MIC_REQUESTS = """
window.__micRequests = 0;
if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => { window.__micRequests += 1; return ask(constraints); };
}
"""


def program_started(page) -> bool:
    """Whether the listeners' program (HLS) is loading or playing in the page now."""
    return page.evaluate(
        """() => window.roundtable.player.playing || !document.getElementById("program-audio").paused"""
    )


def program_ever_loaded(page) -> bool:
    """Whether the page has ever given its program player a source."""
    return page.evaluate("""() => Boolean(document.getElementById("program-audio").currentSrc)""")


def mic_requests(page) -> int:
    return page.evaluate("window.__micRequests")


def open_room(page, space) -> None:
    page.goto(f"/spaces/{space.pk}/")
    # The snapshot has arrived and been drawn.
    expect(page.locator("#listener-count")).to_contain_text("in the space")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_it_tells_a_listener_joining_a_recorded_space_before_anything_plays(page_as, phone):
    space = SpaceFactory(title="Founders talk", host=UserFactory(username="hana"), record=True, recording=True)
    page = page_as(UserFactory(username="lena"), phone=phone)

    open_room(page, space)

    notice = page.locator("#rec-join-modal")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("This space is being recorded")
    assert program_started(page) is False
    assert program_ever_loaded(page) is False
    shoot(page, f"recording-join-notice-{'phone' if phone else 'desktop'}")
    # The Listen button under the notice cannot start the program either.
    page.evaluate("document.getElementById('btn-listen').click()")
    assert program_started(page) is False
    assert program_ever_loaded(page) is False
    # Escape dismisses the notice but not the hold; "Listen live" brings the notice back.
    page.keyboard.press("Escape")
    expect(notice).to_be_hidden()
    assert program_ever_loaded(page) is False
    page.click("#btn-listen")
    expect(notice).to_be_visible()

    notice.get_by_role("button", name="Listen").click()

    expect(notice).to_be_hidden()
    expect(page.locator("#btn-listen")).to_have_text("■ Stop listening")
    assert program_started(page) is True
    expect(page.locator("#rec-banner")).to_be_visible()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_it_keeps_a_dismissed_join_notice_closed_while_the_room_changes(page_as, phone):
    space = SpaceFactory(title="Founders talk", host=UserFactory(username="hana"), record=True, recording=True)
    page = page_as(UserFactory(username="lena"), phone=phone)
    open_room(page, space)
    notice = page.locator("#rec-join-modal")
    expect(notice).to_be_visible()
    # Her own arrival is announced in a batch too: it has reached her page before she dismisses.
    expect(page.locator("#audience .person", has_text="lena")).to_be_visible()
    page.keyboard.press("Escape")
    expect(notice).to_be_hidden()

    # The room changes under her twice: someone else arrives, and she raises her hand.
    open_room(page_as(UserFactory(username="otto")), space)
    expect(page.locator("#audience .person", has_text="otto")).to_be_visible()
    expect(notice).to_be_hidden()
    page.click("#btn-hand")
    expect(page.locator("#btn-hand")).to_have_text("✋ Lower hand")

    expect(notice).to_be_hidden()
    assert program_ever_loaded(page) is False
    # "Listen live" is not covered by the notice, and asks again before anything plays.
    page.click("#btn-listen")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Listen").click()
    expect(notice).to_be_hidden()
    expect(page.locator("#btn-listen")).to_have_text("■ Stop listening")
    assert program_started(page) is True


def test_it_lets_a_listener_in_as_before_when_nobody_records(page_as):
    space = SpaceFactory(title="Off the record", host=UserFactory(username="hana"))
    page = page_as(UserFactory(username="lena"))

    open_room(page, space)

    expect(page.locator("#btn-listen")).to_have_text("▶ Listen live")
    expect(page.locator("#rec-join-modal")).to_be_hidden()
    expect(page.locator("#rec-banner")).to_be_hidden()
    page.click("#btn-listen")
    expect(page.locator("#btn-listen")).to_have_text("■ Stop listening")


def test_it_tells_everyone_when_the_host_starts_recording_mid_space(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Founders talk", host=host, record=False)
    ParticipantFactory(space=space, user=UserFactory(username="sam"), role=Role.SPEAKER)
    host_page = page_as(host)
    open_room(host_page, space)
    listener_page = page_as(UserFactory(username="lena"))
    open_room(listener_page, space)
    listener_page.click("#btn-listen")  # already listening when recording starts
    speaker_page = page_as(UserFactory(username="sam"))
    speaker_page.add_init_script(COUNT_MIC_REQUESTS)
    open_room(speaker_page, space)
    guest_page = page_as(None, phone=True)
    open_room(guest_page, space)
    expect(host_page.locator("#rec-banner")).to_be_hidden()

    host_page.click("#btn-record")

    expect(host_page.locator("#btn-record")).to_have_text("■ Stop recording")
    for page in (host_page, listener_page, speaker_page, guest_page):
        expect(page.locator("#rec-banner")).to_be_visible()
        expect(page.locator("#rec-pill")).to_be_visible()
    for page in (listener_page, guest_page):
        expect(page.locator("#rec-notice")).to_be_visible()
        expect(page.locator("#rec-notice")).to_contain_text("The host started recording")
    assert program_started(listener_page) is True  # they hear on, now told
    # Someone on stage is offered the opt-out; their microphone was already open.
    stage_notice = speaker_page.locator("#rec-stage-modal")
    expect(stage_notice).to_be_visible()
    expect(stage_notice).to_contain_text("The host started recording")
    expect(stage_notice.get_by_role("checkbox", name="Leave my voice out of the published recording")).to_be_visible()
    expect(host_page.locator("#toast")).to_contain_text("Recording started")
    shoot(listener_page, "recording-started-notice-desktop")
    shoot(guest_page, "recording-started-notice-phone")
    shoot(speaker_page, "recording-started-stage-desktop")
    assert Space.objects.get(pk=space.pk).recording is True

    guest_page.click("#rec-notice-ok")
    expect(guest_page.locator("#rec-notice")).to_be_hidden()
    speaker_page.click("#rec-stage-ok")
    expect(stage_notice).to_be_hidden()
    host_page.click("#btn-record")

    expect(listener_page.locator("#rec-banner")).to_be_hidden()
    expect(listener_page.locator("#toast")).to_contain_text("The host stopped recording")
    expect(host_page.locator("#btn-record")).to_have_text("● Start recording")
    assert Space.objects.get(pk=space.pk).recording is False


def test_it_tells_someone_brought_up_before_their_microphone_opens_and_lets_them_opt_out(page_as, settings):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Founders talk", host=host, record=True, recording=True)
    lena = UserFactory(username="lena")
    host_page = page_as(host)
    open_room(host_page, space)
    page = page_as(lena)
    page.add_init_script(COUNT_MIC_REQUESTS)
    open_room(page, space)
    page.locator("#rec-join-modal").get_by_role("button", name="Listen").click()
    page.click("#btn-hand")
    expect(host_page.locator("#queue li", has_text="lena")).to_be_visible()

    host_page.locator("#queue li", has_text="lena").get_by_role("button", name="Bring up").click()

    dialog = page.locator("#rec-stage-modal")
    expect(dialog).to_be_visible()
    expect(page.locator("#stage .person", has_text="lena")).to_be_visible()
    expect(dialog).to_contain_text("Before your microphone opens")
    days = settings.RECORDINGS["RETENTION_DAYS"]
    expect(dialog).to_contain_text(f"keeps your voice for {days} days" if days else "until the space ends")
    assert mic_requests(page) == 0
    assert program_started(page) is False  # on stage, the program stops
    shoot(page, "recording-stage-dialog-desktop")

    dialog.get_by_role("checkbox", name="Leave my voice out of the published recording").check()
    dialog.get_by_role("button", name="Open my microphone").click()

    expect(dialog).to_be_hidden()
    # Hosts see who is left out of the replay.
    expect(host_page.locator("#stage .person", has_text="lena").locator(".badge-optout")).to_have_text("Not in replay")
    page.wait_for_function("() => window.__micRequests > 0")
    assert Participant.objects.get(space=space, user=lena).recording_opt_out is True
    expect(page.locator("#btn-optout")).to_have_text("Put my voice back in the replay")
    shoot(host_page, "recording-optout-badge-desktop")

    # The opt-out can be taken back later, from the recording banner.
    page.click("#btn-optout")
    expect(host_page.locator("#stage .person", has_text="lena").locator(".badge-optout")).to_have_count(0)
    assert Participant.objects.get(space=space, user=lena).recording_opt_out is False


def test_it_tells_an_invited_listener_on_a_phone_before_their_microphone_opens(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Founders talk", host=host, record=True, recording=True)
    raj = UserFactory(username="raj")
    host_page = page_as(host)
    open_room(host_page, space)
    page = page_as(raj, phone=True)
    page.add_init_script(COUNT_MIC_REQUESTS)
    open_room(page, space)
    page.locator("#rec-join-modal").get_by_role("button", name="Listen").click()

    host_page.locator("#audience .person", has_text="raj").click()
    host_page.get_by_role("menuitem", name="Invite to speak").click()
    expect(page.locator("#invite-modal")).to_be_visible()
    expect(page.locator("#invite-rec")).to_be_visible()
    page.click("#invite-accept")

    dialog = page.locator("#rec-stage-modal")
    expect(dialog).to_be_visible()
    expect(page.locator("#stage .person", has_text="raj")).to_be_visible()
    assert mic_requests(page) == 0
    shoot(page, "recording-stage-dialog-phone")

    dialog.get_by_role("button", name="Open my microphone").click()

    expect(dialog).to_be_hidden()
    page.wait_for_function("() => window.__micRequests > 0")
    assert Participant.objects.get(space=space, user=raj).recording_opt_out is False
