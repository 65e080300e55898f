// TLS for the WebSocket transport, configured as libprocess configures it: from the
// LIBPROCESS_SSL_* environment. With TLS on, one port serves `https://` and `wss://` (and no
// plain HTTP), and every dial is `wss://`.

import { readFileSync } from 'node:fs';
import { ValidationError } from './errors.js';

export interface TlsOptions {
  /** PEM certificate chain this runtime presents, as server and as client. */
  cert: string | Buffer;
  /** PEM private key of `cert`. */
  key: string | Buffer;
  /** PEM CA bundle to verify peers with; Node's default CAs when absent. */
  ca?: string | Buffer;
  /** Verify the peer's certificate: a dialed server's always, a client's when it presents one. */
  verifyCert: boolean;
  /** As a server, refuse clients that present no valid certificate (implies verifying them). */
  requireCert: boolean;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ValidationError(`${name}=${env[name]}: expected true or false`);
}

function file(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const path = env[name];
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ValidationError(`${name}=${path}: ${(err as Error).message}`);
  }
}

/**
 * The TLS options the LIBPROCESS_SSL_* variables describe, or undefined when
 * LIBPROCESS_SSL_ENABLED is not true: LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE
 * (required), LIBPROCESS_SSL_CA_FILE, LIBPROCESS_SSL_VERIFY_CERT, LIBPROCESS_SSL_REQUIRE_CERT
 * (both false by default, as in libprocess). Throws a ValidationError naming the variable at fault.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsOptions | undefined {
  if (!flag(env, 'LIBPROCESS_SSL_ENABLED')) return undefined;
  const cert = file(env, 'LIBPROCESS_SSL_CERT_FILE');
  const key = file(env, 'LIBPROCESS_SSL_KEY_FILE');
  if (!cert || !key) throw new ValidationError('LIBPROCESS_SSL_ENABLED=true needs LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE');
  const ca = file(env, 'LIBPROCESS_SSL_CA_FILE');
  const requireCert = flag(env, 'LIBPROCESS_SSL_REQUIRE_CERT');
  return { cert, key, ...(ca ? { ca } : {}), verifyCert: flag(env, 'LIBPROCESS_SSL_VERIFY_CERT') || requireCert, requireCert };
}

/** What a client (the CLIs) needs of TLS: the CA to verify with, whether to, and a certificate if it has one. */
export interface ClientTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verifyCert: boolean;
}

/**
 * The client side of LIBPROCESS_SSL_*, for commands that only dial: undefined unless
 * LIBPROCESS_SSL_ENABLED is true; LIBPROCESS_SSL_CA_FILE and LIBPROCESS_SSL_VERIFY_CERT as for a
 * runtime; LIBPROCESS_SSL_CERT_FILE/KEY_FILE are optional (presented when given, for a server
 * with LIBPROCESS_SSL_REQUIRE_CERT). Throws a ValidationError naming the variable at fault.
 */
export function clientTlsFromEnv(env: NodeJS.ProcessEnv = process.env): ClientTlsOptions | undefined {
  if (!flag(env, 'LIBPROCESS_SSL_ENABLED')) return undefined;
  const cert = file(env, 'LIBPROCESS_SSL_CERT_FILE');
  const key = file(env, 'LIBPROCESS_SSL_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) throw new ValidationError('LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE go together');
  const ca = file(env, 'LIBPROCESS_SSL_CA_FILE');
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}), verifyCert: flag(env, 'LIBPROCESS_SSL_VERIFY_CERT') };
}
