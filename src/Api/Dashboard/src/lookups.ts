import { api, Me } from "./api";
import { shortId } from "./format";

// Names for the ids the lists carry (flavors, plans, zones; for admins tenants and hosts), read once a minute.

interface Named { id: string; name: string }

const cache = new Map<string, { at: number; names: Map<string, string> }>();

/** The names at `path` as `who` may see them (cached per API key: a tenant signing in after an admin sees its own). */
async function names(who: string, path: string): Promise<Map<string, string>> {
  const key = `${who} ${path}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < 60_000) return hit.names;
  const items = await api.all<Named>(path);
  const map = new Map(items.map(i => [i.id, i.name]));
  cache.set(key, { at: Date.now(), names: map });
  return map;
}

export interface Lookups {
  flavor(id?: string | null): string;
  plan(id?: string | null): string;
  zone(id?: string | null): string;
  tenant(id?: string | null): string;
  host(id?: string | null): string;
  zones: Map<string, string>;
  flavors: Map<string, string>;
  plans: Map<string, string>;
}

export type NameList = "flavors" | "plans" | "zones" | "tenants" | "hosts";

/** The name lists a view shows (every one unless it says which): a list not asked for is not fetched; its ids show short. */
export async function lookups(me: Me, need: NameList[] = ["flavors", "plans", "zones", "tenants", "hosts"]): Promise<Lookups> {
  const admin = me.role === "admin";
  const who = me.keyId;
  const none = Promise.resolve(new Map<string, string>());
  const list = (which: NameList, path: string) => (need.includes(which) ? names(who, path) : none);
  const [flavors, plans, zones, tenants, hosts] = await Promise.all([
    list("flavors", "/flavors"), list("plans", "/sla-plans"), list("zones", "/zones"),
    admin ? list("tenants", "/tenants") : Promise.resolve(new Map<string, string>(me.tenant ? [[me.tenant.id, me.tenant.name]] : [])),
    admin ? list("hosts", "/hosts") : none,
  ]);
  const name = (map: Map<string, string>) => (id?: string | null) => (id ? map.get(id) ?? shortId(id) : "–");
  return { flavor: name(flavors), plan: name(plans), zone: name(zones), tenant: name(tenants), host: name(hosts), zones, flavors, plans };
}
