// Small formatting and DOM helpers shared by the views.

export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? (values[i] instanceof Raw ? (values[i] as Raw).value : esc(values[i])) : ""), "");
}

export class Raw { constructor(public readonly value: string) {} }
export const raw = (value: string) => new Raw(value);

export function mib(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  return v >= 1024 * 10 ? `${(v / 1024).toFixed(0)} GiB` : v >= 1024 ? `${(v / 1024).toFixed(1)} GiB` : `${Math.round(v)} MiB`;
}

export function pct(used: number, total: number): number {
  return total > 0 ? Math.round((used / total) * 1000) / 10 : 0;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
}

export function time(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "–";
}

export function shortId(id: string | null | undefined): string {
  return id ? id.slice(-8) : "–";
}

export function statusBadge(status: string | null | undefined): Raw {
  return raw(`<span class="badge s-${esc(status)}">${esc(status ?? "–")}</span>`);
}

export function el<T extends HTMLElement = HTMLElement>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`No ${selector}`);
  return found;
}
