import type { SparseHistogram } from './histogram';

/** Messages between the peer-bench orchestrator and its load-generator processes. */

/** One subscriber connection: which wire protocol, where, with which credentials. */
export interface SubscriberTarget {
  /** socketio: raw Engine.IO v4 / Socket.IO v5 frames; centrifugo: its JSON protocol. */
  wire: 'socketio' | 'centrifugo';
  /** ws:// URL of the websocket endpoint. */
  url: string;
  /** Socket.IO: sent as the CONNECT packet's auth {token}; Centrifugo: connection JWT. */
  token?: string;
  /** Centrifugo channel to subscribe to. */
  channel?: string;
}

export type ToWorker =
  | { type: 'connect'; targets: SubscriberTarget[]; concurrency: number }
  | { type: 'ready-count' }
  | { type: 'collect'; tag: string }
  | { type: 'count'; tag: string }
  | { type: 'disconnect' };

export type FromWorker =
  | { type: 'connected'; count: number; failed: number; firstError?: string }
  | { type: 'ready-count'; ready: number; open: number }
  | {
      type: 'collected';
      tag: string;
      histogram: SparseHistogram;
      deliveries: number;
      /** Bytes of websocket payload received for this tag's messages. */
      bytes: number;
    }
  | { type: 'count'; tag: string; deliveries: number }
  | { type: 'disconnected' };

/**
 * Body of every bench message: `<sent ms>|<tag>|<n>|` padded with x to the body size.
 * Tags: `p` probe (readiness), `w` warmup, anything else a measured window.
 */
export function makeBody(sentAt: number, tag: string, n: number, size: number): string {
  const head = `${sentAt.toFixed(3)}|${tag}|${n}|`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}
