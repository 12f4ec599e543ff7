import "./styles.css";
import { api, ApiError, Me, session } from "./api";
import { current, href } from "./router";
import { html, raw } from "./format";
import { View, ViewContext } from "./view";
import { overview } from "./views/overview";
import { hosts, hostDetail } from "./views/hosts";
import { instances, instanceDetail } from "./views/instances";
import { reservations } from "./views/reservations";
import { migrations, migrationDetail } from "./views/migrations";
import { signIn } from "./views/signin";

// The shell: sign-in, navigation, the current view (from the URL's fragment) and its auto-refresh. Every view reads
// the public REST API only; a refresh redraws the data and keeps the filters (they live in the URL).

const REFRESH_MS = 5000;
const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const who = document.getElementById("who")!;
const refreshed = document.getElementById("refreshed")!;

let me: Me | null = null;
interface Mounted { view: View; ctx: ViewContext; timer?: number }
let mounted: Mounted | null = null;

const views: Array<{ name: string; label: string; admin: boolean; view: (path: string[]) => View | null }> = [
  { name: "overview", label: "Overview", admin: false, view: p => (p.length === 1 ? overview : null) },
  { name: "hosts", label: "Hosts", admin: true, view: p => (p.length === 1 ? hosts : hostDetail) },
  { name: "instances", label: "Instances", admin: false, view: p => (p.length === 1 ? instances : instanceDetail) },
  { name: "reservations", label: "Reservations", admin: false, view: p => (p.length === 1 ? reservations : null) },
  { name: "migrations", label: "Migrations", admin: true, view: p => (p.length === 1 ? migrations : migrationDetail) },
];

async function start() {
  const key = session.key();
  if (key) {
    try {
      me = await api.me(key);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) session.clear();
      me = null;
    }
  }
  window.addEventListener("hashchange", () => void show());
  await show();
}

function renderChrome() {
  if (!me) {
    nav.innerHTML = "";
    who.innerHTML = "";
    return;
  }
  const active = current().path[0];
  nav.innerHTML = views.filter(v => me!.role === "admin" || !v.admin)
    .map(v => html`<a href="${href(v.name)}" ${v.name === active ? raw('aria-current="page"') : ""}>${v.label}</a>`)
    .join("");
  who.innerHTML = html`<span>${me.role === "admin" ? "admin" : `tenant ${me.tenant?.name ?? ""}`}</span> <button type="button" id="signout">Sign out</button>`;
  document.getElementById("signout")!.addEventListener("click", () => {
    session.clear();
    me = null;
    go("#/signin");
  });
}

async function show() {
  if (mounted?.timer) window.clearInterval(mounted.timer);
  mounted?.view.dispose?.();
  mounted = null;
  main.removeAttribute("data-ready");
  const route = current();
  if (!me) {
    renderChrome();
    // Signed in, the shared link that asked for it is shown (the overview if it was none).
    const wanted = views.some(v => v.name === route.path[0]) ? location.hash : "#/overview";
    await signIn.mount({ main: fresh(), route, me: null, onSignedIn: async (m: Me) => { me = m; go(wanted); } } as ViewContext);
    return;
  }
  const entry = views.find(v => v.name === route.path[0]) ?? views[0];
  if (entry.admin && me.role !== "admin") {
    main.innerHTML = html`<h1>Not available</h1><p>This view is for operators (an admin key).</p>`;
    renderChrome();
    return;
  }
  const view = entry.view(route.path);
  renderChrome();
  if (!view) {
    main.innerHTML = html`<h1>Not found</h1><p>No such view: ${route.path.join("/")}</p>`;
    return;
  }
  const entryMounted: Mounted = { view, ctx: { main: fresh(), route, me } };
  mounted = entryMounted;
  try {
    await view.mount(entryMounted.ctx);
    await refresh(entryMounted);
  } catch (e) {
    if (mounted === entryMounted) showError(e);
  }
  // Still the current view (the user may have moved on while it loaded): refresh it every few seconds.
  if (mounted === entryMounted) entryMounted.timer = window.setInterval(() => void refresh(entryMounted), view.refreshMs ?? REFRESH_MS);
}

/**
 * A new, empty element for a view to draw in, in place of the last one: a view that is left while it still loads
 * goes on drawing into its own element, now detached, and never over the view that replaced it.
 */
function fresh(): HTMLElement {
  const container = document.createElement("div");
  main.replaceChildren(container);
  return container;
}

/** Goes to `hash`; the hashchange shows it, or, already there, it is shown again. */
function go(hash: string) {
  if (location.hash === hash) void show();
  else location.hash = hash;
}

/** Redraws a mounted view's data — only while it is still the one on screen. */
async function refresh(entry: Mounted) {
  if (mounted !== entry) return;
  try {
    await entry.view.refresh(entry.ctx);
    if (mounted !== entry) return;
    main.dataset.ready = entry.view.name;
    refreshed.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    main.querySelector(".error")?.remove();
  } catch (e) {
    if (mounted !== entry) return;                                         // a view left meanwhile: its errors are moot
    if (e instanceof ApiError && e.status === 401) {
      session.clear();
      me = null;
      void show();
      return;
    }
    showError(e);
  }
}

function showError(e: unknown) {
  const message = e instanceof ApiError ? `${e.status}: ${e.message}` : String(e);
  let box = main.querySelector(".error");
  if (!box) {
    box = document.createElement("p");
    box.className = "error";
    box.setAttribute("role", "alert");
    main.prepend(box);
  }
  box.textContent = `Could not load: ${message}`;
}

// The skip link must not touch the fragment (the router owns it): it moves the focus instead.
document.getElementById("skip")!.addEventListener("click", event => {
  event.preventDefault();
  main.focus();
});

void start();
