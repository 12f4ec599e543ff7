// The REST API, as any client uses it: the key from this tab's session storage (never the URL, never a log).

const KEY = "iaas.apiKey";

export interface Problem { type?: string; title?: string; detail?: string; status?: number }

export class ApiError extends Error {
  constructor(public readonly status: number, public readonly problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
}

export interface Page<T> { items: T[]; nextPageToken?: string | null }

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export type Query = Record<string, string | number | boolean | null | undefined>;

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const q = params.toString();
  return `/v1${path}${q ? `?${q}` : ""}`;
}

async function call<T>(method: string, path: string, query?: Query, body?: unknown, key = session.key()): Promise<T> {
  const response = await fetch(url(path, query), {
    method,
    headers: { Authorization: `Bearer ${key ?? ""}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let problem: Problem = { status: response.status };
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>("GET", path, query),
  post: <T>(path: string, body: unknown) => call<T>("POST", path, undefined, body),
  /** Whether a key is accepted, and whose it is (GET /v1/me with it). */
  me: (key: string) => call<Me>("GET", "/me", undefined, undefined, key),
  /** Every item of a list, following nextPageToken (up to `max`). */
  async all<T>(path: string, query: Query = {}, max = 20_000): Promise<T[]> {
    const items: T[] = [];
    let pageToken: string | undefined;
    do {
      const page = await call<Page<T>>("GET", path, { ...query, limit: 500, pageToken });
      items.push(...page.items);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken && items.length < max);
    return items;
  },
};

export interface Me { role: "admin" | "tenant"; keyId: string; tenantId?: string | null; tenant?: { id: string; name: string } | null }
export interface Resources { vcpus: number; memoryMiB: number; diskGiB: number; networkMbps: number }
