# One build, two images: `--target api` (REST + migrate verb) and `--target workers` (Hangfire server / host agent).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props IaasApi.sln ./
COPY src/ src/
RUN dotnet publish src/Api -c Release -o /out/api \
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
