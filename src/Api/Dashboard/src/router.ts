// The view and its filters live in the URL's fragment (#/instances?status=running&zoneId=…): a link is shareable and
// survives a reload; the key never goes there.

export interface Route { path: string[]; query: URLSearchParams }

export function current(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?", 2);
  return { path: (path || "overview").split("/").filter(Boolean), query: new URLSearchParams(query ?? "") };
}

export function href(path: string, query?: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ""}`;
}

/** Changes the current view's filters in the URL (a new history entry, so Back undoes a filter). */
export function setQuery(changes: Record<string, string | undefined | null>) {
  const route = current();
  for (const [k, v] of Object.entries(changes)) if (v) route.query.set(k, v); else route.query.delete(k);
  const s = route.query.toString();
  location.hash = `#/${route.path.join("/")}${s ? `?${s}` : ""}`;
}

/**
 * Keeps a filter form in the URL: a changed field becomes its query parameter (trimmed; empty removes it), plus
 * `extra` (e.g. back to the first page), so the view's next refresh reads it from there.
 */
export function bindFilters(form: Element, extra: Record<string, string | null> = {}) {
  form.addEventListener("change", e => {
    const field = e.target as HTMLInputElement | HTMLSelectElement;
    setQuery({ [field.name]: field.value.trim(), ...extra });
  });
  form.addEventListener("submit", e => e.preventDefault());
}
