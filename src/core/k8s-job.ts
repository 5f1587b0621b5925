import type { Job } from "kubernetes-types/batch/v1.js";
import type { ConfigMap } from "kubernetes-types/core/v1.js";

/** What `withstand load export kubernetes` needs to lay out N generators as one Indexed Job. */
export interface LoadJobSpec {
  /** The Job's name; the ConfigMap holding the LoadTest file is NAME-loadtest. */
  name: string;
  namespace?: string | undefined;
  image: string;
  parallelism: number;
  group: string;
  /** The LoadTest file's base name and text, mounted read-only at /withstand/. */
  fileName: string;
  fileText: string;
  /** The store URL, or the Secret (key `url`) holding it when it carries a password. */
  store: { url: string } | { secret: string };
  allowRemote: boolean;
}

const MOUNT = "/withstand";

function labels(spec: LoadJobSpec): Record<string, string> {
  return {
    "app.kubernetes.io/name": "withstand",
    "app.kubernetes.io/component": "load-generator",
    "app.kubernetes.io/instance": spec.name,
    "withstand.dev/group": spec.group,
  };
}

/** The ConfigMap that carries the LoadTest file into every pod. */
export function loadTestConfigMap(spec: LoadJobSpec): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `${spec.name}-loadtest`,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      labels: labels(spec),
    },
    data: { [spec.fileName]: spec.fileText },
  };
}

/**
 * An Indexed Job: pod i (JOB_COMPLETION_INDEX, 0-based) runs segment i+1 of N through `--segment-of N`,
 * and every pod joins one group in the shared store. A generator is never retried (backoffLimit 0): a
 * second attempt would send its share of the load twice.
 */
export function loadJob(spec: LoadJobSpec): Job {
  const args = [
    "load",
    `${MOUNT}/${spec.fileName}`,
    "--segment-of",
    String(spec.parallelism),
    "--group",
    spec.group,
    ...(spec.allowRemote ? ["--allow-remote"] : []),
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: spec.name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      labels: labels(spec),
    },
    spec: {
      completionMode: "Indexed",
      completions: spec.parallelism,
      parallelism: spec.parallelism,
      backoffLimit: 0,
      template: {
        metadata: { labels: labels(spec) },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "withstand",
              image: spec.image,
              command: ["withstand"],
              args,
              env: [
                "url" in spec.store
                  ? { name: "WITHSTAND_STORE", value: spec.store.url }
                  : {
                      name: "WITHSTAND_STORE",
                      valueFrom: { secretKeyRef: { name: spec.store.secret, key: "url" } },
                    },
              ],
              volumeMounts: [{ name: "loadtest", mountPath: MOUNT, readOnly: true }],
            },
          ],
          volumes: [{ name: "loadtest", configMap: { name: `${spec.name}-loadtest` } }],
        },
      },
    },
  };
}
