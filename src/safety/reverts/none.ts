import type { RevertExecutor } from "./types.js";

/** A fault with nothing left to undo (a killed process), or one undone only in its runner (an in-process proxy). */
export const none: RevertExecutor = {
  type: "none",
  accepts: () => true,
  run: async () => "nothing to revert",
};
