// The replay page's Report link: the report names where the player is, so a moderator
// listens to that moment (`at`, ms on the replay; the server puts it on the space's clock).
const audio = document.querySelector("[data-player] audio[data-audio]");

for (const link of document.querySelectorAll("a[data-report-moment]")) {
  link.addEventListener("click", () => {
    if (!audio) return;
    const url = new URL(link.href, location.href);
    url.searchParams.set("at", String(Math.floor(audio.currentTime * 1000)));
    link.href = url.toString();
  });
}
