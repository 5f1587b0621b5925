/** The schema pieces every fault kind reads its fields with: the project's own, shared with providers (core/values). */
export { bool, duration, durationSchema, int, nonEmpty, num } from "../core/values.js";
