// What high availability adds to the master: its options (`--zk` and companions), its own
// messages, and what a master is at any moment — a standby, a leader recovering the registry,
// or the leader — which decides whether it serves messages and HTTP or drops and redirects.

import type { RegistryState } from '../registry.js';

/** Mesos's `--registry`: `replicated_log` (the default) is the durable one here too. */
export type RegistryKind = 'in_memory' | 'replicated_log' | 'zk';

export interface MasterHaOptions {
  /** `--zk`: `zk://[user:pass@]host:port[,…]/path` or `file:///path` holding it. */
  zk: string;
  /** `--zk_session_timeout` (default 10 s). */
  sessionTimeoutMs: number;
  /**
   * `--registry`. With `--zk`, `replicated_log` and `zk` keep the registry in ZooKeeper (its
   * own replicated, quorum-acknowledged log stands in for Mesos's); `in_memory` keeps none.
   */
  registry: RegistryKind;
  /** `--registry_fetch_timeout` (default 1 min). */
  registryFetchTimeoutMs: number;
  /** `--registry_store_timeout` (default 20 s). */
  registryStoreTimeoutMs: number;
  /** What a deposed leader does; default: log and exit(1), as Mesos's master does. */
  onDeposed?: (reason: string) => void;
}

export type MasterRole = 'standby' | 'recovering' | 'leading';

/** The master's messages for leadership: from its contender and detector, and its recovery. */
export type LeadershipInternal =
  /** This master's node is the lowest: it leads and recovers the registry. */
  | { name: '_Elected' }
  /** Who leads now (`ip:port`, or undefined), for redirects. */
  | { name: '_LeaderDetected'; address: string | undefined }
  /** The leader lost its candidacy or saw another leader: it exits. */
  | { name: '_Deposed'; reason: string }
  /** The registry a new leader fetched. */
  | { name: '_RegistryRecovered'; state: RegistryState }
  | { name: '_RegistryFetchFailed'; error: string };

/** What the HTTP layer needs to know to serve, redirect, or refuse. */
export interface LeadershipView {
  role(): MasterRole;
  /** The leader's `ip:port`, when known. */
  leader(): string | undefined;
}
