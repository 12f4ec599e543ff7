// What every benchmark program uses: HTTP with JSON bodies, timing, and the shared helpers.
global using System.Diagnostics;
global using System.Net;
global using System.Net.Http.Json;
global using System.Text.Json.Nodes;
global using IaasApi.Bench;
global using static IaasApi.Bench.BenchHttp;
