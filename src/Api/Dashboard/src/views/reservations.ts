import { api, Schemas } from "../api";
import { draw, echarts, palette } from "../charts";
import { ago, html, raw, statusBadge, time } from "../format";
import { lookups } from "../lookups";
import { bindFilters, current, href } from "../router";
import { View } from "../view";

type Reservation = Schemas["ReservationResponse"];
type CapacityPoint = Schemas["CapacityPoint"];
type QueueEntry = Schemas["QueueEntry"];

// A zone's reservations as bars over time (a Gantt), the free vCPUs under them (the capacity timeline), and the
// best-effort queue in its order with what each request waits for.
export const reservations: View = {
  name: "reservations",
  async mount(ctx) {
    const names = await lookups(ctx.me!, ["zones", "tenants"]);
    let zoneId = ctx.route.query.get("zoneId");
    if (!zoneId && names.zones.size > 0) zoneId = [...names.zones.keys()][0];
    ctx.main.innerHTML = html`<h1>Reservations</h1>
      <form class="filters" id="reservation-filters" aria-label="Zone">
        <label>Zone <select name="zoneId">${raw([...names.zones].map(([id, n]) => html`<option value="${id}" ${id === zoneId ? raw("selected") : ""}>${n}</option>`).join(""))}</select></label>
        <label>Window <select name="days">${raw(["1", "3", "7", "30"].map(d => html`<option value="${d}" ${d === (ctx.route.query.get("days") ?? "3") ? raw("selected") : ""}>${d} day(s)</option>`).join(""))}</select></label>
      </form>
      <h2 id="h-gantt">Timeline</h2>
      <div class="chart tall" id="gantt" role="img" aria-labelledby="h-gantt"></div>
      <div id="reservation-table"></div>
      <h2>Best-effort queue</h2><div id="queue"></div>`;
    bindFilters(ctx.main.querySelector("#reservation-filters")!);
  },
  async refresh(ctx) {
    const names = await lookups(ctx.me!, ["zones", "tenants"]);
    const q = current().query;
    const zoneId = q.get("zoneId") ?? [...names.zones.keys()][0];
    const days = Number(q.get("days") ?? "3");
    const from = new Date(Date.now() - 3600_000);
    const to = new Date(from.getTime() + days * 86400_000);
    const step = days <= 1 ? "15m" : days <= 7 ? "1h" : "6h";
    const [list, capacity, queue] = await Promise.all([
      api.all<Reservation>("/reservations", { zoneId }, 2000),
      zoneId ? api.get<{ points: CapacityPoint[] }>("/capacity", { zoneId, from: from.toISOString(), to: to.toISOString(), step }).catch(() => ({ points: [] })) : Promise.resolve({ points: [] }),
      api.get<{ items: QueueEntry[]; total: number }>("/queue", { zoneId, limit: 200 }),
    ]);
    const shown = list.filter(r => Date.parse(r.releaseAt) >= from.getTime() && Date.parse(r.start) <= to.getTime() && r.status !== "cancelled")
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const colour: Record<string, string> = { scheduled: "#60a5fa", active: "#15803d", ended: "#9aa5b1", cancelled: "#cbd2d9" };
    draw(ctx.main.querySelector<HTMLElement>("#gantt")!, {
      tooltip: { formatter: (p: { seriesType: string; data: { value: number[]; r?: Reservation; p?: CapacityPoint } }) => {
        const r = p.data.r;
        if (r) return `<b>${r.name}</b> (${r.status})<br>${time(r.start)} → ${time(r.end)}<br>${r.count} × ${r.resources.vcpus} vCPU; ${r.slots.inUse} in use`;
        const c = p.data.p!;
        return `${time(c.at)}<br>free ${c.free.vcpus} vCPU of ${c.usable.vcpus}; reserved ${c.reserved.vcpus}`;
      } },
      grid: [{ left: 160, right: 30, top: 10, height: "58%" }, { left: 160, right: 30, top: "74%", height: "18%" }],
      xAxis: [{ type: "time", min: from.getTime(), max: to.getTime(), gridIndex: 0 }, { type: "time", min: from.getTime(), max: to.getTime(), gridIndex: 1 }],
      yAxis: [{ type: "category", data: shown.map(r => r.name), inverse: true, gridIndex: 0 },
              { type: "value", name: "free vCPUs", gridIndex: 1, min: 0 }],
      series: [
        {
          type: "custom", xAxisIndex: 0, yAxisIndex: 0,
          renderItem: (_: unknown, api: { value: (i: number) => number; coord: (v: number[]) => number[]; size: (v: number[]) => number[]; style: () => object }) => {
            const start = api.coord([api.value(1), api.value(0)]);
            const end = api.coord([api.value(2), api.value(0)]);
            const height = api.size([0, 1])[1] * 0.6;
            const shape = echarts.graphic.clipRectByRect({ x: start[0], y: start[1] - height / 2, width: Math.max(2, end[0] - start[0]), height },
              { x: 160, y: 0, width: 100000, height: 100000 });
            return shape && { type: "rect", shape, style: api.style() };
          },
          encode: { x: [1, 2], y: 0 },
          data: shown.map((r, i) => ({ value: [i, Date.parse(r.start), Date.parse(r.end)], r, itemStyle: { color: colour[r.status] ?? palette.used } })),
        },
        { type: "line", xAxisIndex: 1, yAxisIndex: 1, areaStyle: { color: "#d1fae5" }, color: palette.ok, step: "end", symbol: "none",
          data: capacity.points.map(p => ({ value: [Date.parse(p.at), p.free.vcpus], p })) },
      ],
    }, true);
    ctx.main.querySelector("#reservation-table")!.innerHTML = shown.length === 0 ? `<p class="muted">No reservations in this window.</p>` :
      html`<table><caption class="sr-only">Reservations in the window</caption><thead><tr><th scope="col">Reservation</th><th scope="col">Status</th>
        <th scope="col">Tenant</th><th scope="col">Start</th><th scope="col">End</th><th scope="col" class="num">Slots (in use / total)</th></tr></thead>
        <tbody>${raw(shown.map(r => html`<tr><td>${r.name}</td><td>${statusBadge(r.status)}</td><td>${names.tenant(r.tenantId)}</td>
        <td>${time(r.start)}</td><td>${time(r.end)}</td><td class="num">${r.slots.inUse} / ${r.slots.total}</td></tr>`).join(""))}</tbody></table>`;
    ctx.main.querySelector("#queue")!.innerHTML = queue.items.length === 0 ? `<p class="muted">Nothing waits for capacity in this zone.</p>` :
      html`<p class="muted">${queue.total} waiting</p><table><thead><tr><th scope="col" class="num">Position</th><th scope="col">Instance</th><th scope="col">Status</th>
        <th scope="col">Tenant</th><th scope="col" class="num">Priority</th><th scope="col">Waiting</th><th scope="col">Why</th></tr></thead>
        <tbody>${raw(queue.items.map(e => html`<tr><td class="num">${e.position}</td><td><a href="${href(`instances/${e.instanceId}`)}">${e.name}</a></td>
        <td>${statusBadge(e.status)}</td><td>${names.tenant(e.tenantId)}</td><td class="num">${e.priority}</td><td>${ago(e.queuedAt)}</td>
        <td>${e.statusReason ?? ""}</td></tr>`).join(""))}</tbody></table>`;
  },
};
