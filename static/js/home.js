// Keep the "Live now" section current without a reload.
const section = document.getElementById("live-now");
if (section) {
  const body = section.querySelector(".section-body");
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(section.dataset.refreshUrl, { headers: { "X-Requested-With": "fetch" } });
      if (res.ok) body.innerHTML = await res.text();
    } catch { /* offline: try again next time */ }
  };
  setInterval(refresh, 15000);
  document.addEventListener("visibilitychange", refresh);
}
