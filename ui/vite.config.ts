import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // The desktop shell embeds dist/ and serves it itself: no dev server, no remote origin.
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK (Debian 12 and later), WebView2 and WKWebView all run ES2022.
    target: "es2022",
    // Files only, nothing inlined: the CSP allows no inline styles or scripts.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
