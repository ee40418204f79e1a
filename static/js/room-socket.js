// A room socket that reconnects on its own with capped, jittered backoff.
// Close codes that mean "do not come back" (removed, ended, gone) stop the retries.
const FINAL_CODES = new Set([4403, 4404, 4410, 1009]);

export class RoomSocket {
  constructor(url, { onMessage, onStatus }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.stopped = false;
    this.refs = 0;
    this.open();
  }

  open() {
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; this.onStatus("open"); };
    ws.onmessage = (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      this.onMessage(data);
    };
    ws.onclose = (e) => {
      if (this.stopped) return;
      if (FINAL_CODES.has(e.code)) { this.stopped = true; this.onStatus("closed", e.code); return; }
      const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.7 + Math.random() * 0.6);
      this.attempt += 1;
      this.onStatus("reconnecting", e.code);
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  send(type, fields = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return null;
    const ref = ++this.refs;
    this.ws.send(JSON.stringify({ type, ref, ...fields }));
    return ref;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}
