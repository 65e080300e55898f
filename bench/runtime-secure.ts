// The runtime benchmark's secured variants, the same on both ends.

import { readFileSync } from 'node:fs';
import type { RuntimeOptions } from '../runtime/index.js';

/** BENCH_SECURE=auth: authenticate both ends; BENCH_SECURE=tls: TLS with BENCH_TLS_CERT/KEY. */
export function secureOptions(mode = process.env['BENCH_SECURE']): RuntimeOptions {
  if (mode === 'auth') return { auth: { credential: { principal: 'bench', secret: 'bench-secret' }, secrets: { bench: 'bench-secret' }, require: true } };
  if (mode === 'tls') return { tls: { cert: readFileSync(process.env['BENCH_TLS_CERT']!), key: readFileSync(process.env['BENCH_TLS_KEY']!), verifyCert: false, requireCert: false } };
  return {};
}
