import { z } from "zod";
import { duration } from "../schema.js";
import { checkSelection, selectionFields } from "./process-selection.js";

export const schema = z
  .strictObject({ ...selectionFields, duration: duration.optional() })
  .superRefine(checkSelection, { when: () => true });
