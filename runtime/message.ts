// What travels between actors. A message is a plain object whose `name` is its type; the
// envelope around it carries addressing and causality (`id`, and `cause`: the id of the message
// whose handler sent it), and is what filters, the inspection stream and trace files see.

import type { Pid } from './pid.js';

export interface Message {
  readonly name: string;
}

export interface Envelope {
  readonly to: Pid;
  /** The sending actor; '' when sent from outside any actor. */
  readonly from: Pid | '';
  readonly name: string;
  /** Unique across runtimes: `<random runtime tag>.<counter>`. */
  readonly id: string;
  /** The id of the message being handled when this one was sent, or null. */
  readonly cause: string | null;
  readonly body: Message;
  /** Its share of the frame it arrived in, for messages received from another runtime; 0 otherwise. */
  bytes: number;
}

export type DropReason =
  | 'dead_letter' // no such actor here
  | 'filtered' // a test filter dropped it
  | 'connection_lost' // queued for a peer whose connection closed or failed
  | 'queue_full' // too many messages queued for a peer that is not connected
  | 'malformed_frame' // a frame that does not decode
  | 'malformed_envelope' // decodes, but is not an envelope
  | 'misaddressed' // remote message for an actor of another runtime
  | 'spoofed_sender' // `from` is not on the peer that sent it
  | 'unknown_message' // no schema for this message name
  | 'invalid_body' // fails its schema
  | 'oversized_frame' // larger than the frame limit
  | 'terminated' // queued for an actor that terminated before handling it
  | 'stale' // a keyed timer's message after its key was restarted or cancelled, or an exit after unlink
  | 'handler_error' // the handler threw
  | 'unsafe_value' // decodes, but is not plain data within the limits (depth, sizes, types)
  | 'unencodable' // a local actor sent something that cannot be encoded (a cycle)
  | 'duplicate_hello' // a second hello on one connection
  | 'unproven_address' // a hello whose claimed address did not vouch for the connection
  | 'authentication_failed' // a handshake whose proofs are wrong or missing when required
  | 'handshake_timeout' // a connection that did not complete its handshake in time
  | 'slow_peer' // a peer that does not read what is written to it: its connection is cut
  | 'mailbox_full'; // too many unhandled messages from other runtimes for one actor

export type InspectionEvent =
  | { readonly type: 'send'; readonly envelope: Envelope; readonly remote: boolean }
  | { readonly type: 'receive'; readonly envelope: Envelope; readonly remote: boolean }
  | { readonly type: 'drop'; readonly reason: DropReason; readonly envelope?: Envelope; readonly detail?: string; readonly peer?: string }
  | { readonly type: 'spawn'; readonly pid: Pid }
  | { readonly type: 'terminate'; readonly pid: Pid }
  | { readonly type: 'link'; readonly linker: Pid; readonly linkee: Pid }
  | { readonly type: 'exited'; readonly linker: Pid; readonly linkee: Pid }
  | { readonly type: 'connection'; readonly peer: string; readonly state: 'open' | 'closed'; readonly incarnation?: string; readonly reason?: string };

export type Inspector = (event: InspectionEvent) => void;
