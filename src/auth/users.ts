// One NATS user per Rocketbus process, with its permissions filled in from
// the role rules (roles.ts) for the names of one cluster description.
import { isSubjectToken, subjects } from "../protocol/index.js";
import { ROLES, type Role } from "./roles.js";

/** What the users are generated for: cluster.json's names, plus the clients to give credentials to. */
export interface AuthCluster {
  prefix: string;
  nameServers: readonly string[];
  groups: ReadonlyArray<{ name: string; replicas: number }>;
  consumerGroups: readonly string[];
  producers: readonly string[];
}

export interface AuthUser {
  /** Also the user's inbox prefix token (`_INBOX.<name>`) and its inspect node name. */
  name: string;
  role: Role;
  group?: string;
  replica?: number;
  consumerGroup?: string;
}

export interface Permissions {
  publish: { allow: string[]; deny: string[] };
  subscribe: { allow: string[] };
  allowResponses: boolean;
}

export const inboxPrefix = (user: string) => `_INBOX.${user}`;
export const consumerUser = (consumerGroup: string) => `consumer-${consumerGroup}`;
export const brokerUser = (group: string, replica: number) => `${group}-${replica}`;

/** Every user of the cluster, in a stable order; throws when two would share a name. */
export function clusterUsers(c: AuthCluster): AuthUser[] {
  const users: AuthUser[] = [
    ...c.nameServers.map((id): AuthUser => ({ name: id, role: "nameserver" })),
    ...c.groups.flatMap((g) =>
      Array.from({ length: g.replicas }, (_, r): AuthUser => ({ name: brokerUser(g.name, r), role: "broker", group: g.name, replica: r })),
    ),
    { name: "admin", role: "admin" },
    { name: "dashboard", role: "dashboard" },
    ...c.producers.map((name): AuthUser => ({ name, role: "producer" })),
    ...c.consumerGroups.map((cg): AuthUser => ({ name: consumerUser(cg), role: "consumer", consumerGroup: cg })),
  ];
  const seen = new Set<string>(["sys"]);
  for (const u of users) {
    if (!isSubjectToken(u.name)) throw new Error(`user name "${u.name}" (${u.role}) must be letters, digits, '-' or '_'`);
    if (seen.has(u.name)) throw new Error(`two users would be named "${u.name}": rename a NameServer, group, producer or consumer group`);
    seen.add(u.name);
  }
  return users;
}

/** The user's rights: its role's rules with its own names filled in. */
export function permissionsOf(user: AuthUser, c: AuthCluster): Permissions {
  const rule = ROLES[user.role];
  const subj = subjects(c.prefix);
  const nodes = [...c.nameServers, ...c.groups.flatMap((g) => Array.from({ length: g.replicas }, (_, r) => brokerUser(g.name, r)))];
  const vars: Record<string, string> = {
    p: subj.prefix,
    user: user.name,
    g: user.group ?? "",
    r: user.replica === undefined ? "" : `${user.replica}`,
    cg: user.consumerGroup ?? "",
    stream: subj.eventsStream,
  };
  const fill = (template: string): string[] => {
    const filled = template.replace(/\{(p|user|g|r|cg|stream)\}/g, (_, k: string) => {
      if (vars[k] === "") throw new Error(`role ${user.role} rule "${template}" needs {${k}}, which user ${user.name} has not`);
      return vars[k]!;
    });
    return filled.includes("{node}") ? nodes.map((n) => filled.replace("{node}", n)) : [filled];
  };
  return {
    publish: { allow: rule.publish.flatMap(fill), deny: (rule.denyPublish ?? []).flatMap(fill) },
    subscribe: { allow: [...rule.subscribe.flatMap(fill), `${inboxPrefix(user.name)}.>`] },
    allowResponses: rule.responds,
  };
}
