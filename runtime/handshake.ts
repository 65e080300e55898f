// The handshake between two runtimes, and what it proves.
//
// 1. The dialer D sends HELLO [HELLO, addressD, incarnationD, version, nonceD, principalD].
// 2. The acceptor S does not believe addressD: it dials addressD itself and asks the runtime
//    listening there PROBE [PROBE, nonceD, addressS] "did you send this nonce to me?". Only the
//    runtime that dialed S with that nonce says yes (PROBE_ACK). So a peer speaks for an
//    address only if the runtime listening at that address vouches for its connection
//    (return routability), whatever authentication is configured.
// 3. S answers HELLO [HELLO, addressS, incarnationS, version, nonceS, principalS, proofS, ackS].
//    D dialed addressS, so S is whoever listens there.
// 4. D sends AUTH [AUTH, proofD, ackD]; S opens the connection when it checks out.
//
// proofX is HMAC-SHA256 under X's own secret over both nonces, both addresses, both
// incarnations and X's principal, with a label for X's role; ackX is the same under the
// secret of the other side's principal, showing X knows it (a verifier, not an impostor that
// only harvests proofs). No secret crosses the wire, and nonces make every proof single-use.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const HELLO = 1;
export const LINK = 2; // [LINK, linkee, linker]
export const EXITED = 3; // [EXITED, linkee]
export const REJECT = 4; // [REJECT, why]: duplicate connection (both sides dialed at once)
export const AUTH = 5;
export const PROBE = 6;
export const PROBE_ACK = 7; // [PROBE_ACK, nonce, vouched]

export interface Credential {
  readonly principal: string;
  readonly secret: string;
}

export type SecretLookup = ReadonlyMap<string, string> | Readonly<Record<string, string>> | ((principal: string) => string | undefined);

export interface AuthOptions {
  /** This runtime's own credential, proven to every peer. */
  credential?: Credential;
  /** The secrets of the peers' principals this runtime can verify. */
  secrets?: SecretLookup;
  /** Refuse every peer that does not prove a principal that `secrets` knows. */
  require?: boolean;
}

export function lookupSecret(secrets: SecretLookup | undefined, principal: string): string | undefined {
  if (!secrets) return undefined;
  if (typeof secrets === 'function') return secrets(principal);
  if (secrets instanceof Map) return secrets.get(principal);
  return Object.hasOwn(secrets, principal) ? (secrets as Record<string, string>)[principal] : undefined;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** Everything both sides saw, in a fixed order. */
export interface Transcript {
  dialer: string;
  acceptor: string;
  dialerIncarnation: string;
  acceptorIncarnation: string;
  dialerNonce: string;
  acceptorNonce: string;
}

export type Role = 'dialer' | 'acceptor' | 'dialer-ack' | 'acceptor-ack';

export function proof(secret: string, role: Role, t: Transcript, principal: string): string {
  return createHmac('sha256', secret)
    .update([`mesos-ts/${role}`, t.dialer, t.acceptor, t.dialerIncarnation, t.acceptorIncarnation, t.dialerNonce, t.acceptorNonce, principal].join('\n'))
    .digest('base64');
}

export function proofMatches(secret: string, role: Role, t: Transcript, principal: string, claimed: unknown): boolean {
  if (typeof claimed !== 'string' || claimed.length > 128) return false;
  const want = Buffer.from(proof(secret, role, t, principal));
  const got = Buffer.from(claimed);
  return want.length === got.length && timingSafeEqual(want, got);
}

const short = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** The fields of a HELLO, or why it is not one. */
export function parseHello(item: unknown[]): { address: string; incarnation: string; version: unknown; nonce: string; principal: string | undefined } | string {
  const [, address, incarnation, version, nonce, principal] = item;
  if (!short(address, 300) || !/^[^\s@/]+:\d{1,5}$/.test(address)) return 'hello without an address';
  if (!short(incarnation, 64)) return 'hello without an incarnation';
  if (!short(nonce, 64) || nonce.length < 16) return 'hello without a nonce';
  if (principal !== null && principal !== undefined && !short(principal, 256)) return 'hello with a malformed principal';
  return { address, incarnation, version, nonce, principal: principal ?? undefined };
}

/**
 * How the other side's identity checks out: its principal when it proved one, undefined when
 * it claimed none (or one this runtime cannot verify, and authentication is not required), or
 * a string saying why the connection is refused.
 */
export function verifyPeer(
  auth: AuthOptions | undefined,
  /** The peer's role in this handshake. */
  role: 'dialer' | 'acceptor',
  t: Transcript,
  principal: string | undefined,
  peerProof: unknown,
  peerAck: unknown,
): { principal: string | undefined } | string {
  const ackRole: Role = role === 'dialer' ? 'dialer-ack' : 'acceptor-ack';
  // The peer says it knows our secret: if it says so, it must be right.
  if (peerAck !== null && peerAck !== undefined) {
    const own = auth?.credential;
    if (!own || !proofMatches(own.secret, ackRole, t, own.principal, peerAck)) return 'authentication failed: the peer does not know our secret';
  }
  if (principal === undefined) return auth?.require ? 'authentication required: the peer proved no principal' : { principal: undefined };
  const secret = lookupSecret(auth?.secrets, principal);
  if (secret === undefined) return auth?.require ? `authentication required: unknown principal '${principal}'` : { principal: undefined };
  if (!proofMatches(secret, role, t, principal, peerProof)) return `authentication failed for principal '${principal}'`;
  return { principal };
}

/** This side's proof and ack for the peer, as sent in the HELLO reply or AUTH. */
export function ownProofs(auth: AuthOptions | undefined, role: 'dialer' | 'acceptor', t: Transcript, peerPrincipal: string | undefined): [string | null, string | null] {
  const own = auth?.credential;
  const mine = own ? proof(own.secret, role, t, own.principal) : null;
  const secret = peerPrincipal === undefined ? undefined : lookupSecret(auth?.secrets, peerPrincipal);
  const ack = secret !== undefined ? proof(secret, role === 'dialer' ? 'dialer-ack' : 'acceptor-ack', t, peerPrincipal!) : null;
  return [mine, ack];
}
