import { api, Schemas } from "../api";
import { draw } from "../charts";
import { ago, html, mib, pct, raw, statusBadge, time } from "../format";
import { lookups } from "../lookups";
import { bindFilters, current, href, setQuery } from "../router";
import { View } from "../view";

export type Host = Schemas["HostResponse"];

/** Per resource, the share of the host's usable capacity allocated; `most` is the most used of them (the heatmap's colour). */
export function load(h: Host) {
  const cpu = pct(h.allocated.vcpus, h.usable.vcpus), mem = pct(h.allocated.memoryMiB, h.usable.memoryMiB), disk = pct(h.allocated.diskGiB, h.usable.diskGiB);
  const most = Math.max(cpu, mem, disk);
  return { cpu, mem, disk, most, resource: most === cpu ? "vCPUs" : most === mem ? "memory" : "disk" };
}

const columns: Array<{ key: string; label: string; num?: boolean; value: (h: Host, zone: (id: string) => string) => string | number }> = [
  { key: "name", label: "Host", value: h => h.name },
  { key: "zone", label: "Zone", value: (h, zone) => zone(h.zoneId) },
  { key: "state", label: "State", value: h => h.state },
  { key: "power", label: "Power", value: h => h.power },
  { key: "vcpus", label: "vCPUs %", num: true, value: h => load(h).cpu },
  { key: "memory", label: "Memory %", num: true, value: h => load(h).mem },
  { key: "disk", label: "Disk %", num: true, value: h => load(h).disk },
  { key: "most", label: "Most used %", num: true, value: h => load(h).most },
  { key: "instances", label: "Instances", num: true, value: h => h.instanceCount },
];

// Every host at once: a heatmap (one cell per host, its colour the most used resource; click a cell for the host) and
// the same hosts as a sortable table (the keyboard's way in). Sort and zone live in the URL.
export const hosts: View = {
  name: "hosts",
  async mount(ctx) {
    const names = await lookups(ctx.me!, ["zones"]);
    const zoneId = ctx.route.query.get("zoneId") ?? "";
    ctx.main.innerHTML = html`
      <h1>Hosts</h1>
      <form class="filters" id="host-filters" role="search" aria-label="Filter hosts">
        <label>Zone <select name="zoneId"><option value="">all zones</option>${raw([...names.zones].map(([id, n]) =>
          html`<option value="${id}" ${id === zoneId ? raw("selected") : ""}>${n}</option>`).join(""))}</select></label>
        <label>State <select name="state">${raw(["", "enabled", "disabled", "maintenance", "down"].map(s =>
          html`<option value="${s}" ${s === (ctx.route.query.get("state") ?? "") ? raw("selected") : ""}>${s || "any state"}</option>`).join(""))}</select></label>
      </form>
      <h2 id="h-heat">Utilisation</h2>
      <p class="muted">One cell per host, coloured by its most used resource (vCPUs with overcommit, memory, disk). Select one for its detail.</p>
      <div class="chart tall" id="heatmap" role="img" aria-labelledby="h-heat"></div>
      <h2>All hosts</h2><div id="host-table"></div>`;
    bindFilters(ctx.main.querySelector("#host-filters")!);
  },
  async refresh(ctx) {
    const names = await lookups(ctx.me!, ["zones"]);
    const q = current().query;
    const list = await api.all<Host>("/hosts", { zoneId: q.get("zoneId") ?? undefined, state: q.get("state") || undefined });
    const sort = q.get("sort") ?? "name";
    const dir = q.get("dir") === "desc" ? -1 : 1;
    const column = columns.find(c => c.key === sort) ?? columns[0];
    list.sort((a, b) => {
      const x = column.value(a, names.zone), y = column.value(b, names.zone);
      return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir || a.name.localeCompare(b.name);
    });

    const width = Math.max(1, Math.ceil(Math.sqrt(list.length * 2)));
    const cells = list.map((h, i) => [i % width, Math.floor(i / width), load(h).most, i]);
    const rows = Math.max(1, Math.ceil(list.length / width));
    const heat = draw(ctx.main.querySelector<HTMLElement>("#heatmap")!, {
      tooltip: {
        formatter: (p: { data: number[] }) => {
          const h = list[p.data[3]];
          const l = load(h);
          return `<b>${h.name}</b> (${h.state}, ${h.power})<br>vCPUs ${h.allocated.vcpus}/${h.usable.vcpus} (${l.cpu} %)<br>` +
            `memory ${mib(h.allocated.memoryMiB)}/${mib(h.usable.memoryMiB)} (${l.mem} %)<br>disk ${h.allocated.diskGiB}/${h.usable.diskGiB} GiB (${l.disk} %)<br>` +
            `${h.instanceCount} instance(s)`;
        },
      },
      grid: { left: 10, right: 10, top: 10, bottom: 60, containLabel: false },
      xAxis: { type: "category", data: [...Array(width).keys()], show: false },
      yAxis: { type: "category", data: [...Array(rows).keys()], show: false, inverse: true },
      visualMap: { min: 0, max: 100, orient: "horizontal", left: "center", bottom: 5, text: ["100 % used", "0 %"], calculable: false,
        inRange: { color: ["#e0f2fe", "#60a5fa", "#1d4ed8", "#7c2d12"] } },
      series: [{ type: "heatmap", data: cells, itemStyle: { borderColor: "#fff", borderWidth: 1 }, progressive: 2000 }],
    }, true);
    heat.off("click");
    heat.on("click", (p: { data?: unknown }) => { const i = (p.data as number[] | undefined)?.[3]; if (i !== undefined) location.hash = href(`hosts/${list[i].id}`); });

    const head = columns.map(c => {
      const active = c.key === column.key;
      const next = active && dir === 1 ? "desc" : "asc";
      return html`<th scope="col" class="${c.num ? "num" : ""}" aria-sort="${active ? (dir === 1 ? "ascending" : "descending") : "none"}">
        <button type="button" class="sort" data-sort="${c.key}" data-dir="${next}">${c.label}${active ? (dir === 1 ? " ▲" : " ▼") : ""}</button></th>`;
    }).join("");
    const table = ctx.main.querySelector("#host-table")!;
    table.innerHTML = html`<p class="muted">${list.length} host(s)</p><table><thead><tr>${raw(head)}</tr></thead><tbody>${raw(list.map(h => {
      const l = load(h);
      return html`<tr><td><a href="${href(`hosts/${h.id}`)}">${h.name}</a></td><td>${names.zone(h.zoneId)}</td><td>${statusBadge(h.state)}</td><td>${h.power}</td>
        <td class="num">${l.cpu}</td><td class="num">${l.mem}</td><td class="num">${l.disk}</td><td class="num">${l.most} (${l.resource})</td>
        <td class="num">${h.instanceCount}</td></tr>`;
    }).join(""))}</tbody></table>`;
    table.querySelectorAll<HTMLButtonElement>("button.sort").forEach(b =>
      b.addEventListener("click", () => setQuery({ sort: b.dataset.sort, dir: b.dataset.dir })));
  },
};

type AuditEvent = Schemas["AuditEventResponse"];
type InstanceRow = Schemas["InstanceResponse"];

export const hostDetail: View = {
  name: "host",
  async mount(ctx) {
    ctx.main.innerHTML = `<p><a href="${href("hosts")}">← Hosts</a></p><div id="host"></div>
      <h2>Instances</h2><div id="host-instances"></div><h2>Audit events</h2><div id="host-audit"></div>`;
  },
  async refresh(ctx) {
    const id = ctx.route.path[1];
    const names = await lookups(ctx.me!, ["zones", "tenants", "flavors"]);
    const [h, vms, audit] = await Promise.all([
      api.get<Host>(`/hosts/${id}`),
      api.get<{ items: InstanceRow[] }>("/instances", { hostId: id, limit: 200 }),
      api.get<{ items: AuditEvent[] }>("/audit-events", { resourceId: id, limit: 50 }),
    ]);
    const l = load(h);
    ctx.main.querySelector("#host")!.innerHTML = html`<h1>Host ${h.name} ${statusBadge(h.state)}</h1>
      <dl class="facts"><dt>Zone</dt><dd>${names.zone(h.zoneId)}</dd><dt>Hypervisor</dt><dd>${h.hypervisor}</dd><dt>Power</dt><dd>${h.power}</dd>
        <dt>vCPUs</dt><dd>${h.allocated.vcpus} of ${h.usable.vcpus} usable (${l.cpu} %; ${h.capacity.vcpus} physical)</dd>
        <dt>Memory</dt><dd>${mib(h.allocated.memoryMiB)} of ${mib(h.usable.memoryMiB)} (${l.mem} %)</dd>
        <dt>Disk</dt><dd>${h.allocated.diskGiB} of ${h.usable.diskGiB} GiB (${l.disk} %)</dd>
        <dt>Last heartbeat</dt><dd>${h.lastHeartbeatAt ? `${ago(h.lastHeartbeatAt)} ago` : "never"}${h.downSince ? ` — down since ${time(h.downSince)}` : ""}</dd>
        ${h.reported ? raw(html`<dt>Reported by its agent</dt><dd>${h.reported.vcpus ?? "–"} CPUs, ${mib(h.reported.memoryMiB)}, ${h.reported.diskGiB ?? "–"} GiB;
          ${h.reported.unmanagedVms.length} VM(s) it runs that the control plane does not know${h.reported.unmanagedVms.length ? `: ${h.reported.unmanagedVms.join(", ")}` : ""}</dd>`) : ""}
        <dt>Traits</dt><dd>${h.traits.join(", ") || "–"}</dd></dl>`;
    ctx.main.querySelector("#host-instances")!.innerHTML = vms.items.length === 0 ? `<p class="muted">None.</p>` :
      html`<table><thead><tr><th scope="col">Instance</th><th scope="col">Status</th><th scope="col">Tenant</th><th scope="col">Flavor</th><th scope="col">Age</th></tr></thead>
        <tbody>${raw(vms.items.map(i => html`<tr><td><a href="${href(`instances/${i.id}`)}">${i.name}</a></td><td>${statusBadge(i.status)}</td>
          <td>${names.tenant(i.tenantId)}</td><td>${names.flavor(i.flavorId)}</td><td>${ago(i.createdAt)}</td></tr>`).join(""))}</tbody></table>`;
    ctx.main.querySelector("#host-audit")!.innerHTML = audit.items.length === 0 ? `<p class="muted">None.</p>` :
      html`<table><thead><tr><th scope="col">When</th><th scope="col">Request</th><th scope="col" class="num">Status</th><th scope="col">Who</th></tr></thead>
        <tbody>${raw(audit.items.map(a => html`<tr><td>${time(a.at)}</td><td>${a.method} ${a.route}</td><td class="num">${a.statusCode}</td>
          <td>${a.role ?? ""} ${a.keyId?.slice(-8) ?? ""}</td></tr>`).join(""))}</tbody></table>`;
  },
};
