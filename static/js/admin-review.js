// A report's page in the admin: the voice selector points the player at that voice's audio
// of the moderation copy (the same window, ?speaker=<user id>; empty for everyone).
const select = document.querySelector("[data-copy-voice]");
const player = document.querySelector("[data-copy-audio]");

if (select && player) {
  select.addEventListener("change", () => {
    const url = new URL(player.dataset.base, window.location.href);
    if (select.value) url.searchParams.set("speaker", select.value);
    const playing = !player.paused;
    player.src = url.pathname + url.search;
    player.load();
    if (playing) player.play();
  });
}
