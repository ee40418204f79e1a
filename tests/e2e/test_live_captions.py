"""Live captions in real Chromium: the host speaks an espeak sentence through the fake
microphone into the engine inside the web server, whose in-process captioner recognises it;
a listener turns captions on and reads "hana: ..." in the room page. Someone brought up to
speak is told captions are on before their microphone opens."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.audio import write_wav
from tests.e2e.conftest import shoot
from tests.e2e.test_recording_notice import COUNT_MIC_REQUESTS, mic_requests, open_room
from tests.factories import SpaceFactory, UserFactory
from tests.speech import needs_espeak, say, silence

pytestmark = [pytest.mark.e2e, needs_espeak]

SENTENCE = "We will release the new version next week."


@pytest.fixture
def site_env(tmp_path):
    return {"MEDIA_ROOT": str(tmp_path / "media"), "MEDIA_ICE_ADDRESSES": "127.0.0.1", "MEDIA_SEGMENT_SECONDS": "1"}


@pytest.fixture
def browser_args(tmp_path):
    # Chromium loops the file: the sentence, then a pause that closes the utterance.
    wav = tmp_path / "voice.wav"
    write_wav(wav, np.concatenate([silence(1), say(SENTENCE), silence(3)]))
    return [
        f"--use-file-for-fake-audio-capture={wav}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
    ]


def test_a_listener_turns_captions_on_and_reads_what_the_host_says(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Release planning", host=host, captions=True)
    space.participants.filter(user=host).update(muted=False)
    desktop = page_as(UserFactory(username="lena"))
    phone = page_as(None, phone=True)
    open_room(desktop, space)
    open_room(phone, space)
    expect(desktop.locator(".room-flags")).to_contain_text("Captions on")
    toggle = desktop.locator("#btn-captions")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(desktop.locator("#captions")).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(desktop.locator("#captions")).to_be_visible()
    expect(desktop.locator("#caption-lines")).to_have_attribute("aria-live", "polite")
    phone.click("#btn-captions")

    # The host speaks (their own page, microphone open at once: the host chose captions).
    open_room(page_as(host), space)
    # The fake microphone loops the file from wherever it is: the first cue may be a fragment.
    said = re.compile("release", re.I)
    line = desktop.locator("#caption-lines li", has_text=said).first
    expect(line).to_be_visible(timeout=60_000)
    expect(line.locator(".caption-name")).to_have_text("hana: ")
    expect(phone.locator("#caption-lines li", has_text=said).first).to_be_visible(timeout=30_000)
    shoot(desktop, "captions-desktop")
    shoot(phone, "captions-phone")

    # Turned off, and remembered: the next page load starts with captions off.
    toggle.click()
    expect(desktop.locator("#captions")).to_be_hidden()
    desktop.reload()
    expect(desktop.locator("#btn-captions")).to_have_attribute("aria-pressed", "false")
    phone.reload()
    expect(phone.locator("#captions")).to_be_visible()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_someone_brought_up_is_told_captions_are_on_before_their_microphone_opens(page_as, phone):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Release planning", host=host, captions=True)
    host_page = page_as(host)
    open_room(host_page, space)
    page = page_as(UserFactory(username="lena"), phone=phone)
    page.add_init_script(COUNT_MIC_REQUESTS)
    open_room(page, space)
    page.click("#btn-hand")
    expect(host_page.locator("#queue li", has_text="lena")).to_be_visible()

    host_page.locator("#queue li", has_text="lena").get_by_role("button", name="Bring up").click()

    dialog = page.locator("#rec-stage-modal")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Live captions are on: what you say is shown as text to everyone listening.")
    # Nothing about a recording: this space is not recorded.
    expect(dialog.get_by_role("checkbox")).to_be_hidden()
    expect(dialog).not_to_contain_text("recorded")
    assert mic_requests(page) == 0
    shoot(page, f"captions-stage-notice-{'phone' if phone else 'desktop'}")

    dialog.get_by_role("button", name="Open my microphone").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function("() => window.__micRequests > 0")
