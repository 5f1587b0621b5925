import type { CheckKind } from "../core/check-kind.js";
import { groupKind, userKind } from "./resources/accounts.js";
import { addrKind } from "./resources/addr.js";
import { commandKind } from "./resources/command.js";
import { dnsKind } from "./resources/dns.js";
import { fileKind } from "./resources/file.js";
import {
  interfaceKind,
  kernelParamKind,
  matchingKind,
  mountKind,
  packageKind,
  processKind,
} from "./resources/host.js";
import { httpKind } from "./resources/http.js";
import { portKind } from "./resources/port.js";
import { serviceKind } from "./resources/service.js";

/** Every Goss resource type withstand checks, by its Gossfile key; a new type is one module and one line here. */
export const CHECK_KINDS: ReadonlyMap<string, CheckKind> = new Map(
  [
    addrKind,
    commandKind,
    dnsKind,
    fileKind,
    groupKind,
    httpKind,
    interfaceKind,
    kernelParamKind,
    matchingKind,
    mountKind,
    packageKind,
    portKind,
    processKind,
    serviceKind,
    userKind,
  ].map((k) => [k.type, k]),
);

/** Goss types withstand refuses, each with the reason the error gives. */
export const UNSUPPORTED_TYPES: Readonly<Record<string, string>> = {
  registry: "the registry type is Windows-only",
};
