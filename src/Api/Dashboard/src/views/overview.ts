import { api, Resources, Schemas } from "../api";
import { draw, palette } from "../charts";
import { html, mib, pct, raw } from "../format";
import { href } from "../router";
import { View } from "../view";

type Overview = Schemas["OverviewResponse"];
type ZoneOverview = Schemas["ZoneOverview"];

const order = ["running", "pending", "building", "starting", "stopping", "rebooting", "migrating", "stopped", "suspended", "deleting", "error"];

// One request (GET /v1/overview: counts and sums made in the database), so it renders fast at thousands of hosts.
export const overview: View = {
  name: "overview",
  async mount(ctx) {
    ctx.main.innerHTML = `
      <h1>Overview</h1>
      <section aria-labelledby="h-now"><h2 id="h-now" class="sr-only">Now</h2><div class="cards" id="cards"></div></section>
      <section aria-labelledby="h-zones" id="zones-section"><h2 id="h-zones">Capacity by zone</h2>
        <div class="chart" id="capacity-chart" role="img" aria-label="Allocated share of each zone's usable vCPUs, memory and disk"></div>
        <div id="zones-table"></div></section>
      <section aria-labelledby="h-status"><h2 id="h-status">Instances by status</h2><div id="status-table"></div></section>
      <section aria-labelledby="h-ops"><h2 id="h-ops">Operations in flight</h2><div id="ops-table"></div></section>`;
    if (ctx.me?.role !== "admin") ctx.main.querySelector("#zones-section")!.remove();
  },
  async refresh(ctx) {
    const o = await api.get<Overview>("/overview");
    const total = Object.values(o.instancesByStatus).reduce((a, b) => a + b, 0);
    const cards: Array<[string, number | string, string?]> = [
      ["Instances", total, href("instances")],
      ["Running", o.instancesByStatus["running"] ?? 0, href("instances", { status: "running" })],
      ["Queued (best-effort)", o.queueLength, href("reservations")],
      ["Operations in flight", o.operationsInFlight],
      ["Migrations in flight", o.migrationsInFlight, ctx.me?.role === "admin" ? href("migrations", { status: "running" }) : undefined],
    ];
    if (ctx.me?.role === "admin") cards.splice(1, 0, ["Hosts", o.zones.reduce((a, z) => a + z.hosts, 0), href("hosts")]);
    ctx.main.querySelector("#cards")!.innerHTML = cards.map(([label, n, link]) =>
      html`<div class="card"><div class="n">${link ? raw(html`<a href="${link}">${n}</a>`) : n}</div><div class="l">${label}</div></div>`).join("");

    const statuses = Object.keys(o.instancesByStatus).sort((a, b) => (order.indexOf(a) + 99) % 99 - (order.indexOf(b) + 99) % 99);
    ctx.main.querySelector("#status-table")!.innerHTML = statuses.length === 0 ? "<p class=\"muted\">No instances.</p>" :
      html`<table><thead><tr><th scope="col">Status</th><th scope="col" class="num">Instances</th></tr></thead><tbody>${raw(statuses.map(s =>
        html`<tr><td><a href="${href("instances", { status: s })}">${s}</a></td><td class="num">${o.instancesByStatus[s]}</td></tr>`).join(""))}</tbody></table>`;
    const kinds = Object.entries(o.operationsByKind).sort((a, b) => b[1] - a[1]);
    ctx.main.querySelector("#ops-table")!.innerHTML = kinds.length === 0 ? "<p class=\"muted\">None.</p>" :
      html`<table><thead><tr><th scope="col">Kind</th><th scope="col" class="num">Running</th></tr></thead><tbody>${raw(kinds.map(([k, n]) =>
        html`<tr><td>${k}</td><td class="num">${n}</td></tr>`).join(""))}</tbody></table>`;

    if (ctx.me?.role !== "admin") return;
    const zones = o.zones;
    const label = (z: ZoneOverview) => `${z.regionName}/${z.zoneName}`;
    const share = (f: (r: Resources) => number) => zones.map(z => pct(f(z.allocated), f(z.usable)));
    draw(ctx.main.querySelector<HTMLElement>("#capacity-chart")!, {
      tooltip: { trigger: "axis", valueFormatter: (v: unknown) => `${v} %` },
      legend: { top: 0 },
      grid: { left: 140, right: 30, top: 35, bottom: 30 },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "category", data: zones.map(label), inverse: true },
      series: [
        { name: "vCPUs", type: "bar", data: share(r => r.vcpus), color: palette.used },
        { name: "memory", type: "bar", data: share(r => r.memoryMiB), color: "#3e8e7e" },
        { name: "disk", type: "bar", data: share(r => r.diskGiB), color: "#8d6e9e" },
      ],
    }, true);
    ctx.main.querySelector("#zones-table")!.innerHTML = html`<table>
      <caption class="sr-only">Capacity and hosts per zone</caption>
      <thead><tr><th scope="col">Zone</th><th scope="col" class="num">Hosts</th><th scope="col">Hosts by state</th>
        <th scope="col" class="num">vCPUs allocated / usable</th><th scope="col" class="num">Memory</th><th scope="col" class="num">Disk</th>
        <th scope="col" class="num">Instances</th></tr></thead>
      <tbody>${raw(zones.map(z => html`<tr><td>${label(z)}</td><td class="num"><a href="${href("hosts", { zoneId: z.zoneId })}">${z.hosts}</a></td>
        <td>${raw(Object.entries(z.hostsByState).filter(([, n]) => n > 0).map(([s, n]) => html`<span class="badge s-${s}">${s} ${n}</span>`).join(" "))}
          ${z.hostsPoweredOff > 0 ? raw(html` <span class="badge">powered off ${z.hostsPoweredOff}</span>`) : ""}</td>
        <td class="num">${z.allocated.vcpus} / ${z.usable.vcpus} (${pct(z.allocated.vcpus, z.usable.vcpus)} %)</td>
        <td class="num">${mib(z.allocated.memoryMiB)} / ${mib(z.usable.memoryMiB)} (${pct(z.allocated.memoryMiB, z.usable.memoryMiB)} %)</td>
        <td class="num">${z.allocated.diskGiB} / ${z.usable.diskGiB} GiB (${pct(z.allocated.diskGiB, z.usable.diskGiB)} %)</td>
        <td class="num"><a href="${href("instances", { zoneId: z.zoneId })}">${z.instances}</a></td></tr>`).join(""))}</tbody></table>`;
  },
};
