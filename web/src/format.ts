// How times, sizes and states read on the page.

export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** "1 h 2 min" style, for screen readers and sentences. */
export function describeDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

export function formatSize(bytes: number): string {
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatDate(epochSeconds: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(epochSeconds * 1000),
  );
}

const STATES: Record<string, string> = {
  pending: "starting",
  running: "running",
  "shutting-down": "shutting down",
  terminated: "removed",
  stopping: "stopping",
  stopped: "stopped",
  absent: "not set up",
};

export function serverStateText(state: string): string {
  return STATES[state] ?? "unknown";
}

export const SERVER_NAMES: Record<string, string> = { proxy: "Proxy", owncast: "Video server" };

export type ServersSummary = "running" | "stopped" | "changing" | "mixed" | "absent";

/** The servers as one word: changing while any is between states. */
export function serversSummary(states: string[]): ServersSummary {
  if (states.length === 0 || states.every((s) => s === "absent")) return "absent";
  if (states.some((s) => s === "pending" || s === "stopping" || s === "shutting-down")) return "changing";
  if (states.every((s) => s === "running")) return "running";
  if (states.every((s) => s === "stopped" || s === "absent" || s === "terminated")) return "stopped";
  return "mixed";
}

const MAINTENANCE: Record<string, string> = {
  open: "A maintenance window is open.",
  partial: "A maintenance window is partly open.",
  closed: "No maintenance window is open.",
};

export function maintenanceText(status: string): string {
  return MAINTENANCE[status] ?? "Whether a maintenance window is open is not known.";
}
