"""Live audio in real Chromium: a speaker's page talks through a fake microphone (a tone from
a WAV file) over WebRTC to the engine inside the web server; a guest's page plays the HLS
program, its media element advances and what it plays is not silence."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rooms.media.encode import decode_file
from tests.audio import has_tone, tone, write_wav
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory

pytestmark = pytest.mark.e2e

VOICE = 620.0


@pytest.fixture
def media_root(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def site_env(media_root):
    return {
        "MEDIA_ROOT": str(media_root),
        "MEDIA_ICE_ADDRESSES": "127.0.0.1",
        "MEDIA_SEGMENT_SECONDS": "1",
    }


@pytest.fixture
def browser_args(tmp_path):
    wav = tmp_path / "voice.wav"
    write_wav(wav, tone(VOICE, 10))
    return [
        f"--use-file-for-fake-audio-capture={wav}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
    ]


def program_audio(media_root: Path, space_id: int):
    folder = media_root / f"spaces/{space_id}/program"
    names = re.findall(r"^(seg_\d+\.ts)$", (folder / "live.m3u8").read_text(), re.M)
    return decode_file(b"".join((folder / n).read_bytes() for n in names))


def heard_level(page) -> float:
    """The loudest sample the page's program player plays over a second (WebAudio analyser)."""
    return page.evaluate(
        """() => new Promise((resolve) => {
          const audio = document.getElementById("program-audio");
          const ctx = new AudioContext();
          const analyser = ctx.createAnalyser();
          analyser.fftSize = 2048;
          const source = ctx.createMediaElementSource(audio);
          source.connect(analyser); analyser.connect(ctx.destination);
          const data = new Float32Array(analyser.fftSize);
          let peak = 0, reads = 0;
          const timer = setInterval(() => {
            analyser.getFloatTimeDomainData(data);
            for (const v of data) peak = Math.max(peak, Math.abs(v));
            if (++reads >= 20) { clearInterval(timer); resolve(peak); }
          }, 50);
        })"""
    )


def speak(page, space) -> None:
    page.goto(f"/spaces/{space.pk}/")
    # The engine reports this speaker's level: the speaking ring lights up.
    expect(page.locator("#stage .person.speaking")).to_be_visible(timeout=20_000)


def live_host(username: str, title: str):
    host = UserFactory(username=username)
    space = SpaceFactory(title=title, host=host)
    space.participants.filter(user=host).update(muted=False)
    return host, space


def test_it_carries_a_speakers_voice_to_a_guest_listener(page_as, media_root):
    host, space = live_host("hana", "Audio check")

    speaker_page = page_as(host)
    speak(speaker_page, space)

    guest_page = page_as(None)
    guest_page.goto(f"/spaces/{space.pk}/")
    guest_page.click("#btn-listen")
    guest_page.wait_for_function("() => document.getElementById('program-audio').currentTime > 2", timeout=30_000)
    level = heard_level(guest_page)
    assert level > 0.01, f"the guest's player played silence (peak {level})"
    expect(guest_page.locator("#behind-live")).not_to_have_text("")
    shoot(speaker_page, "room-speaking-desktop")
    shoot(guest_page, "room-listening-desktop")

    audio = program_audio(media_root, space.pk)
    assert has_tone(audio, VOICE), "the speaker's voice is not in the program"


def test_it_plays_to_a_listener_who_pressed_listen_before_the_first_segment(page_as, media_root):
    host, space = live_host("hana", "Early birds")
    guest_page = page_as(None)
    guest_page.goto(f"/spaces/{space.pk}/")

    # Nobody has spoken yet, so the engine has written nothing: the playlist is not there.
    with guest_page.expect_response(lambda r: r.url.endswith("/live.m3u8")) as first:
        guest_page.click("#btn-listen")
    assert first.value.status == 404
    assert not (media_root / f"spaces/{space.pk}/program/live.m3u8").exists()
    expect(guest_page.locator("#btn-listen")).to_have_text("■ Stop listening")
    expect(guest_page.locator("#behind-live")).to_have_text("Waiting for audio…")

    speak(page_as(host), space)

    # The same player, with no new click, starts once the audio exists.
    guest_page.wait_for_function("() => document.getElementById('program-audio').currentTime > 2", timeout=30_000)
    assert guest_page.evaluate("document.getElementById('program-audio').readyState") >= 2
    level = heard_level(guest_page)
    assert level > 0.01, f"the early listener's player played silence (peak {level})"
    expect(guest_page.locator("#behind-live")).not_to_have_text("Waiting for audio…")


def test_it_comes_back_on_its_own_when_the_playlist_fails_mid_space(page_as):
    host, space = live_host("hana", "Shaky line")
    speak(page_as(host), space)
    guest_page = page_as(None)
    guest_page.goto(f"/spaces/{space.pk}/")
    guest_page.click("#btn-listen")
    guest_page.wait_for_function("() => document.getElementById('program-audio').currentTime > 2", timeout=30_000)

    # The playlist fails for a while (a storage or network hiccup): the player runs dry.
    guest_page.route("**/live.m3u8", lambda route: route.fulfill(status=404, body="Not Found"))
    for _ in range(3):
        with guest_page.expect_response(lambda r: r.url.endswith("/live.m3u8") and r.status == 404, timeout=15_000):
            pass
    guest_page.unroute("**/live.m3u8")
    stalled_at = guest_page.evaluate("document.getElementById('program-audio').currentTime")

    # Back without a reload or a click: new audio plays past what was buffered.
    guest_page.wait_for_function(
        f"() => document.getElementById('program-audio').currentTime > {stalled_at + 4}", timeout=30_000
    )
    level = heard_level(guest_page)
    assert level > 0.01, f"the player came back silent (peak {level})"
