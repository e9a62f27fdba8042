// The app's places. App.svelte shows one at a time; views move between them through
// the `onNavigate` callback they are given, never by reaching into each other.

export type View = "home" | "partners" | "finance" | "decisions" | "members" | "sync";

export const views: { id: View; label: string }[] = [
  { id: "home", label: "Home" },
  { id: "partners", label: "Partners" },
  { id: "finance", label: "Finance" },
  { id: "decisions", label: "Decisions" },
  { id: "members", label: "Members" },
  { id: "sync", label: "Sync" },
];

/** Moves to a view; `target` names a record there (a decision id, a partner name). */
export type Navigate = (view: View, target?: string | null) => void;
