import type { Service } from "../engine/service.js";
import { dnsService } from "./dns.js";
import { labService } from "./lab.js";
import { proxiesService } from "./proxies.js";

/**
 * Every run-scoped service, in the order a run starts them (and stops them in reverse). A new one
 * (a flag server, a network lab) is one module here and one line.
 */
export const SERVICES: readonly Service[] = [labService, proxiesService, dnsService];

export type { DnsService } from "./dns.js";
