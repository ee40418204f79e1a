import pytest

from rooms.media.ice import limit_host_addresses


@pytest.fixture(autouse=True)
def media_settings(settings, tmp_path):
    """Media on a fresh folder; WebRTC on loopback only (engine and test clients alike, set
    before any client gathers candidates); short segments for quick tests."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEDIA_ENGINE = {
        **settings.MEDIA_ENGINE,
        "MODE": "embedded",
        "ICE_ADDRESSES": ["127.0.0.1"],
        "ICE_SERVERS": [],
        "SEGMENT_SECONDS": 1,
        "TRACK_CHUNK_SECONDS": 2,
    }
    limit_host_addresses()
    yield settings
    settings.MEDIA_ENGINE = {**settings.MEDIA_ENGINE, "ICE_ADDRESSES": []}
    limit_host_addresses()
