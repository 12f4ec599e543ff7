"""What the drain and evacuation benchmarks share: REST calls, and a 3-host fake cloud with one host full of VMs."""
import json, time, urllib.request


def caller(base, key):
    """call(method, path, body=None, token=key) -> the answer's JSON (None for an empty one)."""
    def call(method, path, body=None, token=key):
        req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return json.loads(text) if text else None
    return call


def fill_first_host(call, vms, plans):
    """Three 64-vCPU fake hosts in one zone; `vms` running instances, all on the first (plans[i % len(plans)] each)."""
    region = call("POST", "/v1/regions", {"name": "r"})
    zone = call("POST", "/v1/zones", {"name": "z", "regionId": region["id"]})
    hosts = [call("POST", "/v1/hosts", {"name": f"h{i}", "zoneId": zone["id"], "hypervisor": "fake",
                  "capacity": {"vcpus": 64, "memoryMiB": 262144, "diskGiB": 4000, "networkMbps": 10000}})["id"] for i in range(3)]
    flavor = call("POST", "/v1/flavors", {"name": "f", "vcpus": 2, "memoryMiB": 4096, "diskGiB": 20})
    image = call("POST", "/v1/images", {"name": "i", "os": "debian", "format": "qcow2", "minDiskGiB": 1})
    tenant = call("POST", "/v1/tenants", {"name": "t", "quotas": {"instances": -1, "vcpus": -1, "memoryMiB": -1}})
    tkey = call("POST", f"/v1/tenants/{tenant['id']}/api-keys", {"name": "k"})["key"]
    for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "disabled"})
    ids = [call("POST", "/v1/instances", {"name": f"vm{i}", "flavorId": flavor["id"], "imageId": image["id"],
                "slaPlanId": plans[i % len(plans)], "zoneId": zone["id"]}, tkey)["id"] for i in range(vms)]
    while any(call("GET", f"/v1/instances/{i}")["status"] != "running" for i in ids): time.sleep(0.2)
    for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "enabled"})
    return hosts, ids
