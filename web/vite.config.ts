import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The dashboard is plain Preact (JSX through esbuild): 4 kB of runtime, no plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 400,
  },
  logLevel: "warn",
});
