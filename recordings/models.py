# Recordings arrive with the live-audio and recordings issues; this app holds their models then.
