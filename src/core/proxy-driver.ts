import type { ToxicBody } from "./experiment.js";
import type { RevertAction } from "./fault.js";

/** Where the proxies a network fault drives are: in this process (the experiment's `proxies:`) or behind a proxy API. */
export interface ProxyDriver {
  describe: string;
  addToxic(proxy: string, toxic: ToxicBody & { name: string }): Promise<void>;
  removeToxic(proxy: string, name: string): Promise<void>;
  setEnabled(proxy: string, enabled: boolean): Promise<void>;
  /** For API toxics: the revert that halt and the watchdog can run without this process. */
  revertToxic(proxy: string, name: string): RevertAction;
  revertDown(proxy: string): RevertAction;
  renew?(proxy: string, name: string): Promise<void>;
}
