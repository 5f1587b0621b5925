import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, subscribe } from "./api";
import { ActiveRollouts } from "./components/ActiveRollouts";
import { DoraPanel } from "./components/DoraPanel";
import { KillSwitch } from "./components/KillSwitch";
import { Checks } from "./pages/Checks";
import { Flags } from "./pages/Flags";
import { Health } from "./pages/Health";
import { RunDetail } from "./pages/RunDetail";
import { RunList } from "./pages/RunList";
import { Slo } from "./pages/Slo";
import "./style.css";
import type { Health as HealthData } from "./types";

type Theme = "light" | "dark" | "system";

function applyTheme(theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.replace(/^#/, "").split("?")[0] || "/");
  useEffect(() => {
    const on = () => setRoute(location.hash.replace(/^#/, "").split("?")[0] || "/");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const [theme, setTheme] = useState<Theme>(
    (localStorage.getItem("withstand-theme") as Theme | null) ?? "system",
  );
  const [health, setHealth] = useState<HealthData | null>(null);
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem("withstand-theme", theme);
  }, [theme]);
  useEffect(() => {
    getJson<HealthData>("/api/health").then(setHealth, () => undefined);
    return subscribe((type, data) => {
      if (type === "health") setHealth(data as HealthData);
    });
  }, []);
  const run = /^\/runs\/(.+)$/.exec(route);
  const faults = health?.activeFaults.filter((f) => f.kind !== "upstream").length ?? 0;
  const nav = [
    ["/", "Runs"],
    ["/rollouts", "Rollouts"],
    ["/slo", "SLOs"],
    ["/checks", "Checks"],
    ["/flags", "Flags"],
    ["/health", "Health"],
  ] as const;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          withstand
        </a>
        <nav>
          {nav.map(([path, label]) => (
            <a key={path} href={`#${path}`} class={route === path ? "current" : ""}>
              {label}
              {path === "/health" && faults > 0 ? (
                <span class="dot" title={`${faults} active faults`} />
              ) : null}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {health && (health.running.length > 0 || faults > 0) && (
          <a href="#/health" class={`pill ${faults > 0 ? "bad" : "live"}`}>
            {faults > 0
              ? `${faults} active fault${faults === 1 ? "" : "s"}`
              : `${health.running.length} running`}
          </a>
        )}
        <KillSwitch active={faults} />
        <button
          type="button"
          class="theme"
          title={`theme: ${theme} (click to change)`}
          onClick={() => setTheme(theme === "system" ? "dark" : theme === "dark" ? "light" : "system")}
        >
          {theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}
        </button>
      </header>
      <main>
        {run ? (
          <RunDetail id={decodeURIComponent(run[1] ?? "")} />
        ) : route === "/rollouts" ? (
          <>
            <h2>Rollouts in progress</h2>
            <ActiveRollouts rollouts={health?.rollouts ?? []} />
            <RunList kind="rollout" />
            <DoraPanel />
          </>
        ) : route === "/slo" ? (
          <Slo />
        ) : route === "/checks" ? (
          <Checks />
        ) : route === "/flags" ? (
          <Flags />
        ) : route === "/health" ? (
          <Health health={health} />
        ) : (
          <RunList />
        )}
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
