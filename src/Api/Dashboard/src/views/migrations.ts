import { api, Page, Schemas } from "../api";
import { draw, palette } from "../charts";
import { html, raw, shortId, statusBadge, time } from "../format";
import { lookups } from "../lookups";
import { bindFilters, current, href } from "../router";
import { View } from "../view";

export type Migration = Schemas["MigrationResponse"];

const live = (m: Migration) => m.status === "queued" || m.status === "running";
const progressBar = (p: number) => raw(html`<span class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${p}"
  aria-label="progress"><span style="width:${p}%"></span></span> <span class="progress-value">${p} %</span>`);

// Newest first; refreshed every two seconds so migrations under way show their progress moving.
export const migrations: View = {
  name: "migrations",
  refreshMs: 2000,
  async mount(ctx) {
    ctx.main.innerHTML = html`<h1>Migrations</h1>
      <form class="filters" id="migration-filters" aria-label="Filter migrations">
        <label>Status <select name="status">${raw(["", "queued", "running", "completed", "failed", "cancelled"].map(s =>
          html`<option value="${s}" ${s === (ctx.route.query.get("status") ?? "") ? raw("selected") : ""}>${s || "any"}</option>`).join(""))}</select></label>
      </form><div id="migration-table" aria-live="polite"></div>`;
    bindFilters(ctx.main.querySelector("#migration-filters")!);
  },
  async refresh(ctx) {
    const names = await lookups(ctx.me!, ["hosts"]);
    const status = current().query.get("status") ?? undefined;
    const page = await api.get<Page<Migration>>("/migrations", { status, order: "desc", limit: 100 });
    ctx.main.querySelector("#migration-table")!.innerHTML = page.items.length === 0 ? `<p class="muted">No migrations.</p>` :
      html`<table><thead><tr><th scope="col">Migration</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Stage</th>
        <th scope="col">Progress</th><th scope="col">From → to</th><th scope="col" class="num">Downtime</th><th scope="col">Started</th></tr></thead>
        <tbody>${raw(page.items.map(m => html`<tr data-migration="${m.id}"><td><a href="${href(`migrations/${m.id}`)}">${shortId(m.id)}</a></td><td>${m.type}</td>
          <td>${statusBadge(m.status)}</td><td>${m.stage ?? "–"}</td><td>${progressBar(m.progress)}</td>
          <td>${names.host(m.sourceHostId)} → ${names.host(m.targetHostId)}</td>
          <td class="num">${m.downtimeMs !== null && m.downtimeMs !== undefined ? `${m.downtimeMs} ms` : "–"}</td><td>${time(m.startedAt ?? m.createdAt)}</td></tr>`).join(""))}</tbody></table>`;
  },
};

export const migrationDetail: View = {
  name: "migration",
  refreshMs: 1000,
  async mount(ctx) {
    ctx.main.innerHTML = `<p><a href="${href("migrations")}">← Migrations</a></p><div id="migration"></div>
      <div class="grid2">
        <section><h2 id="h-stages">Stages</h2><div class="chart small" id="stages-chart" role="img" aria-labelledby="h-stages"></div></section>
        <section><h2 id="h-rounds">Pre-copy rounds: memory still to send</h2><div class="chart small" id="rounds-chart" role="img" aria-labelledby="h-rounds"></div></section>
        <section><h2 id="h-down">Downtime against the plan's maximum</h2><div class="chart small" id="downtime-chart" role="img" aria-labelledby="h-down"></div></section>
      </div><h2>Stage timeline</h2><div id="stages-table"></div><h2>Rounds</h2><div id="rounds-table"></div>`;
  },
  async refresh(ctx) {
    const names = await lookups(ctx.me!, ["hosts"]);
    const m = await api.get<Migration>(`/migrations/${ctx.route.path[1]}`);
    ctx.main.querySelector("#migration")!.innerHTML = html`<h1>Migration ${shortId(m.id)} ${statusBadge(m.status)}</h1>
      <p>${progressBar(m.progress)}</p>
      <dl class="facts"><dt>Instance</dt><dd><a href="${href(`instances/${m.instanceId}`)}">${m.instanceId}</a></dd><dt>Type</dt><dd>${m.type}</dd>
        <dt>From → to</dt><dd>${names.host(m.sourceHostId)} → ${names.host(m.targetHostId)}</dd><dt>Stage</dt><dd>${m.stage ?? "–"}</dd>
        <dt>Escalation</dt><dd>${m.escalation}${m.preCopyOutcome ? `; pre-copy ${m.preCopyOutcome}` : ""}</dd>
        <dt>Downtime</dt><dd>${m.downtimeMs ?? "–"} ms (at most ${m.maxDowntimeMs ?? "–"} ms)</dd>
        ${m.hypervisorTotalMs ? raw(html`<dt>Hypervisor's own time</dt><dd>${m.hypervisorTotalMs} ms, ${m.transferredMiB ?? "–"} MiB sent</dd>`) : ""}
        ${m.diskTotalMiB ? raw(html`<dt>Disk</dt><dd>${m.diskCopiedMiB ?? 0} of ${m.diskTotalMiB} MiB</dd>`) : ""}
        ${m.reason ? raw(html`<dt>Outcome</dt><dd>${m.reason}</dd>`) : ""}</dl>`;

    const now = Date.now();
    const stages = m.stages.map(s => ({ ...s, from: Date.parse(s.startedAt), to: s.endedAt ? Date.parse(s.endedAt) : now }));
    const t0 = stages[0]?.from ?? now;
    draw(ctx.main.querySelector<HTMLElement>("#stages-chart")!, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v: unknown) => `${Math.round(Number(v))} ms` },
      grid: { left: 110, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value", name: "ms", axisLabel: { formatter: "{value}" } },
      yAxis: { type: "category", data: stages.map(s => s.stage), inverse: true },
      series: [
        { type: "bar", stack: "t", itemStyle: { color: "transparent" }, data: stages.map(s => s.from - t0), tooltip: { show: false } },
        { type: "bar", stack: "t", name: "duration", color: palette.used, data: stages.map(s => Math.max(1, s.to - s.from)) },
      ],
    }, true);
    draw(ctx.main.querySelector<HTMLElement>("#rounds-chart")!, {
      tooltip: { trigger: "axis" },
      grid: { left: 60, right: 20, top: 20, bottom: 30 },
      legend: { top: 0, right: 0 },
      xAxis: { type: "category", name: "round", data: m.rounds.map(r => r.round) },
      yAxis: [{ type: "value", name: "remaining MiB" }, { type: "value", name: "sent MiB", splitLine: { show: false } }],
      series: [{ type: "bar", name: "remaining MiB", color: palette.used, data: m.rounds.map(r => Math.round(r.remainingMiB * 10) / 10) },
               { type: "line", name: "sent MiB", yAxisIndex: 1, color: palette.warn, data: m.rounds.map(r => Math.round(r.sentMiB * 10) / 10) }],
    }, true);
    draw(ctx.main.querySelector<HTMLElement>("#downtime-chart")!, {
      tooltip: { trigger: "axis" },
      grid: { left: 60, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: ["downtime"] },
      yAxis: { type: "value", name: "ms", max: (v: { max: number }) => Math.max(v.max, m.maxDowntimeMs ?? 0) * 1.15 },
      series: [{ type: "bar", name: "measured downtime", color: (m.downtimeMs ?? 0) > (m.maxDowntimeMs ?? Infinity) ? palette.bad : palette.ok,
        data: [m.downtimeMs ?? 0], barWidth: "40%",
        markLine: m.maxDowntimeMs ? { symbol: "none", label: { formatter: `plan's max ${m.maxDowntimeMs} ms` }, lineStyle: { color: palette.bad, type: "dashed" },
          data: [{ yAxis: m.maxDowntimeMs }] } : undefined }],
    }, true);
    ctx.main.querySelector("#stages-table")!.innerHTML = html`<table><thead><tr><th scope="col">Stage</th><th scope="col">Started</th><th scope="col">Ended</th>
      <th scope="col" class="num">ms</th></tr></thead><tbody>${raw(stages.map(s => html`<tr><td>${s.stage}</td><td>${time(s.startedAt)}</td><td>${time(s.endedAt)}</td>
      <td class="num">${s.endedAt ? Math.round(s.to - s.from) : "…"}</td></tr>`).join(""))}</tbody></table>`;
    ctx.main.querySelector("#rounds-table")!.innerHTML = m.rounds.length === 0 ? `<p class="muted">No pre-copy rounds (yet).</p>` :
      html`<table><thead><tr><th scope="col" class="num">Round</th><th scope="col" class="num">Sent MiB</th><th scope="col" class="num">ms</th>
        <th scope="col" class="num">Dirty MiB/s</th><th scope="col" class="num">Remaining MiB</th><th scope="col" class="num">Expected downtime ms</th></tr></thead>
        <tbody>${raw(m.rounds.map(r => html`<tr><td class="num">${r.round}</td><td class="num">${r.sentMiB.toFixed(1)}</td><td class="num">${Math.round(r.durationMs)}</td>
        <td class="num">${r.dirtyRateMiBps.toFixed(1)}</td><td class="num">${r.remainingMiB.toFixed(1)}</td><td class="num">${Math.round(r.expectedDowntimeMs)}</td></tr>`).join(""))}</tbody></table>`;
    if (!live(m)) ctx.main.dataset.settled = "true";
  },
};
