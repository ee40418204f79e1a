"""Which network addresses WebRTC may use, from settings.

MEDIA_ICE_ADDRESSES limits the engine's own host candidates and the remote candidates it
will try (for one machine or a LAN; tests use 127.0.0.1 only). ICE servers (STUN/TURN, e.g.
coturn) come from MEDIA_ICE_SERVERS; none by default, so nothing leaves the machine."""

import re

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer
from django.conf import settings

_original_host_addresses = aioice.ice.get_host_addresses


def limit_host_addresses() -> None:
    allowed = settings.MEDIA_ENGINE["ICE_ADDRESSES"]
    if not allowed:
        aioice.ice.get_host_addresses = _original_host_addresses
        return

    def only_allowed(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return list(allowed)

    aioice.ice.get_host_addresses = only_allowed


def rtc_configuration() -> RTCConfiguration:
    # Always explicit: aiortc falls back to a public STUN server when given None.
    servers = [RTCIceServer(**server) for server in settings.MEDIA_ENGINE["ICE_SERVERS"]]
    return RTCConfiguration(iceServers=servers)


_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ", re.IGNORECASE)


def filter_candidates(sdp: str) -> str:
    """Drop remote candidates outside MEDIA_ICE_ADDRESSES (when it is set)."""
    allowed = settings.MEDIA_ENGINE["ICE_ADDRESSES"]
    if not allowed:
        return sdp
    kept = []
    for line in sdp.splitlines():
        match = _CANDIDATE.match(line)
        if match and match.group(1) not in allowed:
            continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"
