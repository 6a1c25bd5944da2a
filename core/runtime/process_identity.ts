/**
 * Who holds a lease or writes an import: "host:pid:nonce". The nonce tells this process from an earlier
 * one that had the same pid (pid 1 in every container). With it, a process can tell that a holder on its
 * own host is gone — its pid has exited or is a zombie, or it is our pid from an earlier life — without
 * waiting for the lease to run out; holders on other hosts are judged by their leases alone.
 */
import os from "node:os";
import process from "node:process";
import { isProcessAlive } from "./process_alive.ts";

const NONCE = Math.random().toString(36).slice(2, 8);
const HOST = os.hostname();

// Identities made by this process (its workers, its web server): alive while the process runs.
const madeHere = new Set<string>();

/** A new identity of this process ("host:pid:nonce", the nonce shared by all of the process's ids). */
export function processIdentity(label = ""): string {
  const id = `${HOST}:${process.pid}:${NONCE}${label ? `:${label}` : ""}`;
  madeHere.add(id);
  return id;
}

/** The nonce of this process, for names of files it owns (see {@link localProcessIsGone}). */
export function processNonce(): string {
  return NONCE;
}

/** True when the process `pid` of this host with `nonce` surely no longer runs. */
export function localProcessIsGone(pid: number, nonce: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return nonce !== NONCE;
  return !isProcessAlive(pid);
}

/**
 * True when `holder` surely no longer runs, judged from this host: made by a process on this host whose
 * pid has ended, or with this pid but not by this process. False when it may still run (another host,
 * or a live pid) or the identity is not one of ours (null, another format).
 */
export function holderIsGone(holder: string | null): boolean {
  if (!holder || madeHere.has(holder)) return false;
  const [host, pidText, nonce] = holder.split(":");
  if (host !== HOST || nonce === undefined) return false;
  return localProcessIsGone(Number(pidText), nonce);
}

/** True when `holder` was made by this process. */
export function isHeldHere(holder: string | null): boolean {
  return holder !== null && madeHere.has(holder);
}
