import assert from "node:assert/strict";
import { it } from "node:test";
import {
  detectInit,
  type InitFacts,
  openrcRunlevels,
  sysvRunlevels,
  upstartEnabled,
  upstartRunning,
} from "../../src/core/service-init.js";

const none: InitFacts = {
  hasSystemctl: false,
  lsbRelease: undefined,
  debianVersion: undefined,
  redhatRelease: false,
  systemRelease: false,
  alpineRelease: false,
  archRelease: false,
};

it("picks the init system Goss picks: systemctl on the PATH first, then the distribution", () => {
  assert.equal(detectInit({ ...none, hasSystemctl: true, debianVersion: "12.11\n" }), "systemd");
  assert.equal(detectInit({ ...none, hasSystemctl: true, debianVersion: "8.11\n" }), "systemdlegacy");
  assert.equal(detectInit({ ...none, hasSystemctl: true, debianVersion: "bookworm/sid\n" }), "systemd");
  assert.equal(detectInit({ ...none, hasSystemctl: true }), "systemd");
  assert.equal(detectInit({ ...none, lsbRelease: "DISTRIB_ID=Ubuntu\n" }), "upstart");
  assert.equal(detectInit({ ...none, alpineRelease: true }), "alpineinit");
  assert.equal(detectInit({ ...none, archRelease: true }), "systemd");
  // A Red Hat or Debian container without systemctl, or nothing known: SysV init scripts.
  assert.equal(detectInit({ ...none, redhatRelease: true, alpineRelease: true }), "init");
  assert.equal(detectInit({ ...none, debianVersion: "12.1" }), "init");
  assert.equal(detectInit(none), "init");
});

it("reads SysV and OpenRC runlevels from the links that start a service", () => {
  const rc = [
    "/etc/rc2.d/S01nginx",
    "/etc/rc3.d/S20nginx",
    "/etc/rc0.d/K01nginx",
    "/etc/rc5.d/S01nginx-extra",
  ];
  assert.deepEqual(sysvRunlevels(rc, "nginx"), ["2", "3"]);
  assert.deepEqual(sysvRunlevels(rc, "apache2"), []);
  assert.deepEqual(openrcRunlevels(["/etc/runlevels/default/sshd", "/etc/runlevels/boot/sshd"], "sshd"), [
    "default",
    "boot",
  ]);
});

it("decides upstart's enabled and running as Goss does", () => {
  assert.equal(upstartEnabled("manual\n", "start on runlevel [2345]\n"), false);
  assert.equal(upstartEnabled(undefined, "description x\n  start on runlevel [2345]\n"), true);
  assert.equal(upstartEnabled(undefined, "description x\n"), undefined);
  assert.equal(upstartRunning(0, "ssh start/running, process 1"), true);
  assert.equal(upstartRunning(0, "ssh stop/waiting"), false);
  assert.equal(upstartRunning(1, "running"), false);
});
