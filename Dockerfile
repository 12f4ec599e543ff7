# One build, two images: `--target api` (REST + migrate verb) and `--target workers` (Hangfire server / host agent).
# The dashboard (TypeScript, Vite) is built with Node; the .NET build then only copies it beside the Api.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/src/Api/Dashboard
COPY src/Api/Dashboard/package.json src/Api/Dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY src/Api/Dashboard/ ./
# The dashboard's API types are generated from the OpenAPI document (openapi-typescript).
COPY src/Client/openapi.json /src/src/Client/openapi.json
RUN npm run build --silent

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props IaasApi.sln ./
COPY src/ src/
COPY --from=dashboard /src/src/Api/wwwroot/dashboard/ src/Api/wwwroot/dashboard/
RUN dotnet publish src/Api -c Release -p:SkipDashboard=true -o /out/api \
 && dotnet publish src/Workers -c Release -o /out/workers

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl for container health checks (GET /readyz).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
USER $APP_UID

FROM runtime AS api
COPY --from=build /out/api .
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://localhost:8080/readyz || exit 1
ENTRYPOINT ["dotnet", "IaasApi.Api.dll"]

FROM runtime AS workers
COPY --from=build /out/workers .
ENTRYPOINT ["dotnet", "IaasApi.Workers.dll"]
