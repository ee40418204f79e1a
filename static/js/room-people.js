// The people in the room: the stage and the audience as tiles, the hand queue the
// moderators work through, the menu each tile opens, and who is speaking now.
import { setOptOut } from "./room-notices.js";
import { $, isLive, isModerator, myId, onStage, outranks, RANK, ROLE_LABEL, spaceId, state } from "./room-state.js";

let socket;

export function initPeople(roomSocket) {
  socket = roomSocket;
  document.addEventListener("click", (e) => {
    const menu = $("person-menu");
    if (menu && !menu.hidden && !e.target.closest(".person") && !e.target.closest("#person-menu")) menu.hidden = true;
  });
}

export function renderPeople() {
  const people = [...state.people.values()];
  const stage = people.filter(onStage).sort((a, b) => RANK[b.role] - RANK[a.role]);
  const audience = people.filter((p) => !onStage(p));
  const hands = audience.filter((p) => p.hand_raised_at).sort((a, b) => a.hand_raised_at.localeCompare(b.hand_raised_at));
  $("stage").replaceChildren(...stage.map(personTile));
  const tiles = audience.map(personTile);
  // Guests and listeners past the snapshot's cap are counted, not named.
  const unnamed = state.listenerCount - audience.length;
  if (unnamed > 0) {
    const more = document.createElement("span");
    more.className = "more-listeners";
    more.textContent = audience.length ? `+${unnamed} more listening` : `${unnamed} listening`;
    tiles.push(more);
  }
  $("audience").replaceChildren(...tiles);
  $("audience-count").textContent = state.listenerCount;
  $("listener-count").textContent = `${state.listenerCount + stage.length} in the space`;
  renderQueue(hands);
}

export function showLevels(levels) {
  for (const tile of document.querySelectorAll("#stage .person")) {
    const value = levels[tile.dataset.userId] || 0;
    tile.classList.toggle("speaking", value > 0.04);
  }
}

function personTile(p) {
  const tile = document.createElement("button");
  tile.className = `person role-${p.role}`;
  tile.dataset.userId = p.user_id;
  tile.setAttribute("aria-label", `${p.name}${ROLE_LABEL[p.role] ? ", " + ROLE_LABEL[p.role] : ""}`);
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.textContent = (p.name || "?").slice(0, 1).toUpperCase();
  tile.append(avatar);
  if (onStage(p)) {
    const mic = document.createElement("span");
    mic.className = `mic ${p.muted ? "mic-off" : "mic-on"}`;
    mic.title = p.muted ? (p.muted_by_moderator ? "Muted by the host" : "Muted") : "Mic on";
    mic.textContent = p.muted ? "🔇" : "🎙";
    tile.append(mic);
  }
  if (p.hand_raised_at) {
    const hand = document.createElement("span");
    hand.className = "hand";
    hand.textContent = "✋";
    tile.append(hand);
  }
  const name = document.createElement("span");
  name.className = "person-name";
  name.textContent = p.user_id === myId ? `${p.name} (you)` : p.name;
  tile.append(name);
  if (ROLE_LABEL[p.role]) {
    const role = document.createElement("span");
    role.className = "person-role";
    role.textContent = ROLE_LABEL[p.role];
    tile.append(role);
  }
  // Hosts see who is left out of the replay (and each person sees it on themselves).
  if (onStage(p) && p.recording_opt_out && (isModerator() || p.user_id === myId)) {
    const out = document.createElement("span");
    out.className = "badge-optout";
    out.title = "Left out of the published recording";
    out.textContent = "Not in replay";
    tile.append(out);
  }
  tile.addEventListener("click", (e) => openPersonMenu(p, e.currentTarget));
  return tile;
}

function renderQueue(hands) {
  const panel = $("queue-panel");
  panel.hidden = !isModerator();
  $("queue-count").textContent = hands.length;
  const items = hands.map((p) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = p.name;
    const up = document.createElement("button");
    up.className = "btn btn-sm btn-primary";
    up.textContent = "Bring up";
    up.onclick = () => socket.send("speaker.add", { user_id: p.user_id });
    const no = document.createElement("button");
    no.className = "btn btn-sm btn-ghost";
    no.textContent = "Dismiss";
    no.onclick = () => socket.send("hand.lower", { user_id: p.user_id });
    li.append(name, up, no);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "No requests yet.";
    items.push(li);
  }
  $("queue").replaceChildren(...items);
}

function openPersonMenu(p, anchor) {
  const menu = $("person-menu");
  const actions = [[`View profile`, () => { location.href = `/u/${encodeURIComponent(p.username)}/`; }]];
  if (p.user_id === myId && onStage(p) && isLive()) {
    actions.push(p.recording_opt_out
      ? ["Put my voice back in the replay", () => setOptOut(false)]
      : ["Leave my voice out of the replay", () => setOptOut(true)]);
  }
  if (myId && p.user_id !== myId) {
    // A new tab, so the room keeps playing; a live report's moment is taken when it is sent.
    actions.push(["Report", () => window.open(reportUrl(p), "_blank", "noopener")]);
  }
  if (outranks(p)) {
    if (p.role === "listener") {
      if (p.hand_raised_at) actions.push(["Bring up to speak", () => socket.send("speaker.add", { user_id: p.user_id })]);
      else if (!p.invited) actions.push(["Invite to speak", () => socket.send("speaker.invite", { user_id: p.user_id })]);
    } else {
      if (!p.muted) actions.push(["Mute", () => socket.send("mute", { user_id: p.user_id })]);
      if (p.muted_by_moderator) actions.push(["Allow to unmute", () => socket.send("mute.allow", { user_id: p.user_id })]);
      actions.push(["Move to listeners", () => socket.send("speaker.remove", { user_id: p.user_id })]);
    }
    if (state.you.role === "host") {
      if (p.role === "cohost") actions.push(["Remove as co-host", () => socket.send("cohost.remove", { user_id: p.user_id })]);
      else actions.push(["Make co-host", () => socket.send("cohost.add", { user_id: p.user_id })]);
    }
    actions.push(["Remove from space", () => {
      if (confirm(`Remove ${p.name} from this space? They will not be able to rejoin.`)) {
        socket.send("participant.remove", { user_id: p.user_id });
      }
    }, "danger"]);
  }
  menu.replaceChildren(...actions.map(([label, run, kind]) => {
    const b = document.createElement("button");
    b.textContent = label;
    b.setAttribute("role", "menuitem");
    if (kind) b.className = kind;
    b.onclick = () => { menu.hidden = true; run(); };
    return b;
  }));
  const box = anchor.getBoundingClientRect();
  menu.style.left = `${Math.min(window.innerWidth - 220, box.left + window.scrollX)}px`;
  menu.style.top = `${box.bottom + window.scrollY + 4}px`;
  menu.hidden = false;
}

// Someone on stage in a live space is reported as a speaker there (with the moment); anyone
// else in the room as a user.
function reportUrl(p) {
  const query = onStage(p) && isLive()
    ? { kind: "speaker", id: p.user_id, space: spaceId }
    : { kind: "user", id: p.user_id };
  return `/report/?${new URLSearchParams({ ...query, next: location.pathname })}`;
}
