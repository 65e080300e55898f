// The scheduler driver's registration lifecycle as an xstate machine on the runtime's clock:
// when to (re)send RegisterFramework/ReregisterFramework and when to dial a lost master again.
// The machine only decides timing; the scheduler process does the sending.

import { assign, createActor, setup, type Actor as XActor } from 'xstate';
import { xstateClock, type Clock } from '../runtime/index.js';

export interface RegistrationInput {
  /** Initial bound b of the backoff (Mesos's registration_backoff_factor, 2 s). */
  factorMs: number;
  /** The bound never exceeds this (1 min, or failover_timeout/10 when that is positive). */
  capMs: number;
  /** Uniform in [0, 1); injectable so tests can pin the retry time. */
  random: () => number;
}

interface RegistrationContext extends RegistrationInput {
  backoffMs: number;
}

export type RegistrationEvent =
  | { type: 'REGISTERED' } // FrameworkRegistered/Reregistered arrived
  | { type: 'MASTER_LOST' } // the link to the master broke
  | { type: 'STOP' };

/**
 * registering → registered → (master lost) registering again at once; a link that breaks while
 * still registering waits in `disconnected` for the backoff before dialing again, so a master
 * that is down is not hammered. Mesos's driver retries the same way: the first attempt is
 * immediate, each retry waits a random time in [0, b], b doubling up to the cap.
 */
export const registrationMachine = setup({
  types: {
    context: {} as RegistrationContext,
    events: {} as RegistrationEvent,
    input: {} as RegistrationInput,
  },
  actions: {
    // Provided by the scheduler process: link to the master if needed and send the registration.
    register: () => {},
    grow: assign({ backoffMs: ({ context }) => Math.min(context.backoffMs * 2, context.capMs) }),
    reset: assign({ backoffMs: ({ context }) => Math.min(context.factorMs, context.capMs) }),
  },
  delays: {
    backoff: ({ context }) => context.random() * context.backoffMs,
  },
}).createMachine({
  id: 'framework-registration',
  context: ({ input }) => ({ ...input, backoffMs: Math.min(input.factorMs, input.capMs) }),
  initial: 'registering',
  on: { STOP: '.stopped' },
  states: {
    registering: {
      entry: 'register',
      after: { backoff: { target: 'registering', reenter: true, actions: 'grow' } },
      on: { REGISTERED: 'registered', MASTER_LOST: 'disconnected' },
    },
    registered: {
      entry: 'reset',
      on: { MASTER_LOST: 'registering' },
    },
    disconnected: {
      after: { backoff: { target: 'registering', actions: 'grow' } },
      on: { REGISTERED: 'registered' },
    },
    stopped: { type: 'final' },
  },
});

export type RegistrationActor = XActor<typeof registrationMachine>;

/** Starts the lifecycle; `register` runs on every attempt, from the machine's timers or events. */
export function startRegistration(input: RegistrationInput, clock: Clock, register: () => void): RegistrationActor {
  const machine = registrationMachine.provide({ actions: { register: () => register() } });
  const actor = createActor(machine, { input, clock: xstateClock(clock) });
  actor.start();
  return actor;
}
