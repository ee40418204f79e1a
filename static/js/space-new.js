// The new-space form: the date field only when "later" is picked, and the date shown and
// sent in the person's local time while the server works in UTC.
const form = document.querySelector(".form");
const later = form.querySelector(".when-later");
const sync = () => { later.hidden = form.querySelector("input[name=when]:checked")?.value !== "later"; };
form.addEventListener("change", sync); sync();
// The server sends back what it received, in UTC: show it in the person's local time.
const when = form.querySelector("input[name=scheduled_for]");
if (when && when.value) {
  const d = new Date(when.value.replace(" ", "T") + "Z");
  if (!isNaN(d)) {
    const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000);
    when.type = "datetime-local";
    when.value = local.toISOString().slice(0, 16);
  }
}
// The server works in UTC: send the local time the person picked as UTC.
form.addEventListener("submit", () => {
  const input = form.querySelector("input[name=scheduled_for]");
  if (input && input.value && !later.hidden) {
    const d = new Date(input.value);
    if (!isNaN(d)) { input.type = "text"; input.value = d.toISOString().slice(0, 16).replace("T", " "); }
  }
});
