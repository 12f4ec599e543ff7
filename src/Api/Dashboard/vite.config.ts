import { defineConfig } from "vite";

// Built into the Api's wwwroot and served at /dashboard (the Api maps the folder and falls back to index.html).
export default defineConfig({
  base: "/dashboard/",
  build: {
    outDir: "../wwwroot/dashboard",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
});
