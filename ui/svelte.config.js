/** @type {import("@sveltejs/vite-plugin-svelte").SvelteConfig} */
export default {
  // Svelte 5 runes everywhere; TypeScript in components needs no preprocessor.
  compilerOptions: { runes: true },
};
