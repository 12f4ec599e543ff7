import { api, Page, Schemas } from "../api";
import { ago, html, raw, shortId, statusBadge, time } from "../format";
import { lookups } from "../lookups";
import { bindFilters, current, href, setQuery } from "../router";
import { View } from "../view";

type Instance = Schemas["InstanceResponse"];

const statuses = ["", "pending", "building", "running", "stopping", "stopped", "starting", "rebooting", "migrating", "suspended", "deleting", "deleted", "error"];
const filterKeys = ["status", "zoneId", "tenantId", "flavorId", "slaPlanId", "hostId", "name"];

// A page of instances at a time (the API's pageToken), filtered by the API itself; filters and page live in the URL.
export const instances: View = {
  name: "instances",
  async mount(ctx) {
    const names = await lookups(ctx.me!);
    const q = ctx.route.query;
    const admin = ctx.me!.role === "admin";
    const select = (name: string, label: string, options: Map<string, string>) => html`<label>${label}
      <select name="${name}"><option value="">any</option>${raw([...options].sort((a, b) => a[1].localeCompare(b[1])).map(([id, n]) =>
        html`<option value="${id}" ${id === q.get(name) ? raw("selected") : ""}>${n}</option>`).join(""))}</select></label>`;
    ctx.main.innerHTML = html`<h1>Instances</h1>
      <form class="filters" id="instance-filters" role="search" aria-label="Filter instances">
        <label>Status <select name="status">${raw(statuses.map(s => html`<option value="${s}" ${s === (q.get("status") ?? "") ? raw("selected") : ""}>${s || "any (not deleted)"}</option>`).join(""))}</select></label>
        ${raw(select("zoneId", "Zone", names.zones))}
        ${raw(select("flavorId", "Flavor", names.flavors))}
        ${raw(select("slaPlanId", "SLA plan", names.plans))}
        ${admin ? raw(html`<label>Tenant id <input name="tenantId" value="${q.get("tenantId") ?? ""}" placeholder="any"></label>
          <label>Host id <input name="hostId" value="${q.get("hostId") ?? ""}" placeholder="any"></label>`) : ""}
        <label>Name <input name="name" value="${q.get("name") ?? ""}" placeholder="any"></label>
      </form>
      <div id="instance-table" aria-live="polite"></div>`;
    const form = ctx.main.querySelector<HTMLFormElement>("#instance-filters")!;
    bindFilters(form, { pageToken: null });
  },
  async refresh(ctx) {
    const names = await lookups(ctx.me!);
    const q = current().query;
    const query: Record<string, string> = {};
    for (const k of filterKeys) if (q.get(k)) query[k] = q.get(k)!;
    const page = await api.get<Page<Instance>>("/instances", { ...query, limit: 50, pageToken: q.get("pageToken") ?? undefined });
    const admin = ctx.me!.role === "admin";
    const now = Date.now();
    const table = ctx.main.querySelector("#instance-table")!;
    table.innerHTML = html`<table><caption class="sr-only">Instances matching the filters</caption><thead><tr>
        <th scope="col">Name</th><th scope="col">Status</th><th scope="col">Tenant</th><th scope="col">Flavor</th><th scope="col">SLA plan</th>
        ${admin ? raw(`<th scope="col">Host</th>`) : ""}<th scope="col">Zone</th><th scope="col">Age</th></tr></thead>
      <tbody>${raw(page.items.map(i => html`<tr><td><a href="${href(`instances/${i.id}`)}">${i.name}</a> <span class="muted">${shortId(i.id)}</span></td>
        <td>${statusBadge(i.status)}${i.status === "pending" && i.statusReason ? raw(html`<br><span class="muted">${i.statusReason}</span>`) : ""}</td>
        <td>${names.tenant(i.tenantId)}</td><td>${names.flavor(i.flavorId)}</td><td>${names.plan(i.slaPlanId)}</td>
        ${admin ? raw(html`<td>${i.hostId ? raw(html`<a href="${href(`hosts/${i.hostId}`)}">${names.host(i.hostId)}</a>`) : "–"}</td>`) : ""}
        <td>${names.zone(i.zoneId)}</td><td>${ago(i.createdAt, now)}</td></tr>`).join(""))}</tbody></table>
      <div class="pager">
        <button type="button" id="first-page" ${q.get("pageToken") ? "" : raw("disabled")}>First page</button>
        <button type="button" id="next-page" ${page.nextPageToken ? "" : raw("disabled")}>Next page</button>
        <span class="muted" id="row-count">${page.items.length} on this page</span></div>`;
    table.querySelector("#next-page")?.addEventListener("click", () => setQuery({ pageToken: page.nextPageToken }));
    table.querySelector("#first-page")?.addEventListener("click", () => setQuery({ pageToken: null }));
  },
};

type Action = Schemas["InstanceActionResponse"];
type Operation = Schemas["OperationResponse"];
type Snapshot = Schemas["SnapshotResponse"];

export const instanceDetail: View = {
  name: "instance",
  async mount(ctx) {
    ctx.main.innerHTML = `<p><a href="${href("instances")}">← Instances</a></p><div id="instance"></div>
      <h2>Audit trail</h2><div id="trail"></div><h2>Operations</h2><div id="operations"></div><h2>Snapshots</h2><div id="snapshots"></div>`;
  },
  async refresh(ctx) {
    const id = ctx.route.path[1];
    const names = await lookups(ctx.me!);
    const [i, trail, ops, snaps] = await Promise.all([
      api.get<Instance>(`/instances/${id}`),
      api.all<Action>(`/instances/${id}/actions`, {}, 2000),
      api.get<Page<Operation>>("/operations", { resourceId: id, limit: 100 }),
      api.get<Page<Snapshot>>("/snapshots", { instanceId: id, limit: 100 }),
    ]);
    ctx.main.querySelector("#instance")!.innerHTML = html`<h1>Instance ${i.name} ${statusBadge(i.status)}</h1>
      ${i.statusReason ? raw(html`<p>${i.statusReason}</p>`) : ""}
      <dl class="facts"><dt>Id</dt><dd>${i.id}</dd><dt>Tenant</dt><dd>${names.tenant(i.tenantId)}</dd><dt>Flavor</dt><dd>${names.flavor(i.flavorId)}
        (${i.resources.vcpus} vCPU, ${i.resources.memoryMiB} MiB, ${i.resources.diskGiB} GiB)</dd><dt>SLA plan</dt><dd>${names.plan(i.slaPlanId)} (priority ${i.priority}, ${i.scheme})</dd>
        <dt>Zone</dt><dd>${names.zone(i.zoneId)}</dd>${i.hostId ? raw(html`<dt>Host</dt><dd><a href="${href(`hosts/${i.hostId}`)}">${names.host(i.hostId)}</a></dd>`) : ""}
        ${i.queuePosition ? raw(html`<dt>Queue position</dt><dd>${i.queuePosition}</dd>`) : ""}
        <dt>Created</dt><dd>${time(i.createdAt)} (${ago(i.createdAt)} ago)</dd></dl>`;
    ctx.main.querySelector("#trail")!.innerHTML = html`<table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th>
      <th scope="col">From → to</th><th scope="col">Detail</th></tr></thead><tbody>${raw(trail.map(a => html`<tr><td>${time(a.at)}</td><td>${a.actor}</td>
      <td>${a.action}</td><td>${a.fromStatus ?? "–"} → ${a.toStatus}</td><td>${a.detail ?? ""}</td></tr>`).join(""))}</tbody></table>`;
    ctx.main.querySelector("#operations")!.innerHTML = ops.items.length === 0 ? `<p class="muted">None.</p>` :
      html`<table><thead><tr><th scope="col">Kind</th><th scope="col">Status</th><th scope="col" class="num">Progress</th><th scope="col">Started</th>
        <th scope="col">Ended</th><th scope="col">Error</th></tr></thead><tbody>${raw(ops.items.map(o => html`<tr><td>${o.kind}</td><td>${statusBadge(o.status)}</td>
        <td class="num">${o.progress} %</td><td>${time(o.createdAt)}</td><td>${time(o.completedAt)}</td><td>${o.error?.detail ?? o.error?.title ?? ""}</td></tr>`).join(""))}</tbody></table>`;
    ctx.main.querySelector("#snapshots")!.innerHTML = snaps.items.length === 0 ? `<p class="muted">None.</p>` :
      html`<table><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Memory</th><th scope="col" class="num">Size</th><th scope="col">Taken</th></tr></thead>
        <tbody>${raw(snaps.items.map(s => html`<tr><td>${s.name}</td><td>${statusBadge(s.status)}</td><td>${s.includesMemory ? "yes" : "no"}</td>
        <td class="num">${s.sizeMiB ?? "–"} MiB</td><td>${time(s.createdAt)}</td></tr>`).join(""))}</tbody></table>`;
  },
};
