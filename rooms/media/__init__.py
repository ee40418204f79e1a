"""The media engine: speakers' WebRTC in, mix-minus back, the program out as HLS, and one
track per speaker on the space's clock. See docs/media.md."""
