import { useRef, useState } from "preact/hooks";
import { postJson } from "../api";

interface HaltResult {
  reverted: { id: string; kind: string; activity: string; how: string }[];
  runsSignalled: { runId: string; title: string }[];
}

/** Halts every active fault on this machine (withstand halt), after a confirmation. */
export function KillSwitch({ active }: { active: number }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string>("");
  const halt = async () => {
    setBusy(true);
    try {
      const r = await postJson<HaltResult>("/api/halt");
      setResult(
        `Reverted ${r.reverted.length} fault${r.reverted.length === 1 ? "" : "s"}${r.runsSignalled.length ? `, stopped ${r.runsSignalled.length} run${r.runsSignalled.length === 1 ? "" : "s"}` : ""}.`,
      );
    } catch (err) {
      setResult(`Halt failed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };
  return (
    <>
      <button
        type="button"
        class="kill"
        data-testid="kill-switch"
        onClick={() => dialog.current?.showModal()}
      >
        Halt all faults{active > 0 ? ` (${active})` : ""}
      </button>
      {result && (
        <output class="toast" data-testid="halt-result">
          {result}{" "}
          <button type="button" onClick={() => setResult("")} aria-label="dismiss">
            ×
          </button>
        </output>
      )}
      <dialog ref={dialog} class="confirm">
        <h3>Halt every active fault?</h3>
        <p>
          {active > 0
            ? `${active} active fault${active === 1 ? "" : "s"} will be reverted now, and every running experiment and rollout is told to stop.`
            : "No fault is active right now; running experiments and rollouts are still told to stop."}
        </p>
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            class="kill"
            data-testid="confirm-halt"
            disabled={busy}
            onClick={() => void halt()}
          >
            Halt everything
          </button>
        </div>
      </dialog>
    </>
  );
}
