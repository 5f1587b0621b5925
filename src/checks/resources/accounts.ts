import type { CheckKind } from "../../core/check-kind.js";
import { groups, users } from "../system.js";

export const userKind: CheckKind = {
  type: "user",
  title: "User",
  settings: { username: "string" },
  properties: [
    { name: "exists" },
    { name: "uid" },
    { name: "gid" },
    { name: "groups" },
    { name: "home" },
    { name: "shell" },
  ],
  gate: "exists",
  async observe(id, settings) {
    const name = String(settings.username ?? id);
    const user = (await users()).find((u) => u.name === name);
    if (!user) return { exists: false };
    const all = await groups();
    const primary = all.find((g) => g.gid === user.gid)?.name;
    const member = all.filter((g) => g.members.includes(name)).map((g) => g.name);
    return {
      exists: true,
      uid: user.uid,
      gid: user.gid,
      groups: [...new Set([...(primary ? [primary] : []), ...member])],
      home: user.home,
      shell: user.shell,
    };
  },
};

export const groupKind: CheckKind = {
  type: "group",
  title: "Group",
  settings: { groupname: "string" },
  properties: [{ name: "exists" }, { name: "gid" }],
  gate: "exists",
  async observe(id, settings) {
    const name = String(settings.groupname ?? id);
    const group = (await groups()).find((g) => g.name === name);
    return group ? { exists: true, gid: group.gid } : { exists: false };
  },
};
