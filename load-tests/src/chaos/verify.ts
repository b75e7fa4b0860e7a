import cassandra from 'cassandra-driver';
import type { Delivery, SendRecord } from './workload';

/** One row of the messages table, as stored. */
export interface StoredRow {
  roomId: string;
  seq: number;
  messageId: string;
  senderId: string;
  clientMsgId: string;
  body: string;
  /** E2EE rooms: 'mls-app', or a handshake kind ('mls-commit', 'mls-welcome'); else null. */
  kind: string | null;
}

/**
 * Reads every row of every room straight from Cassandra (not through Parley, whose reads
 * may hide what we look for). Consistency ALL: with every replica up, a row written to any
 * one of them is seen. Buckets come from room_buckets and, in case that write was lost,
 * every bucket up to the highest one named there.
 */
export async function readHistory(
  contactPoints: string[],
  keyspace: string,
  roomIds: string[],
): Promise<StoredRow[]> {
  const port = Number(contactPoints[0]!.split(':')[1] ?? 9042);
  const client = new cassandra.Client({
    contactPoints,
    localDataCenter: 'datacenter1',
    keyspace,
    protocolOptions: { port },
    queryOptions: { consistency: cassandra.types.consistencies.all, prepare: true },
    socketOptions: { readTimeout: 30_000 },
  });
  const rows: StoredRow[] = [];
  try {
    for (const roomId of roomIds) {
      const buckets = await client.execute('SELECT bucket FROM room_buckets WHERE room_id = ?', [
        roomId,
      ]);
      const named = buckets.rows.map((r) => Number(r.get('bucket')));
      const top = Math.max(0, ...named);
      for (let bucket = 0; bucket <= top + 1; bucket++) {
        let pageState: string | undefined;
        do {
          const page = await client.execute(
            'SELECT seq, message_id, sender_id, client_msg_id, body, kind FROM messages WHERE room_id = ? AND bucket = ?',
            [roomId, bucket],
            { fetchSize: 5_000, pageState },
          );
          for (const r of page.rows) {
            rows.push({
              roomId,
              seq: Number(r.get('seq')),
              messageId: String(r.get('message_id')),
              senderId: String(r.get('sender_id')),
              clientMsgId: String(r.get('client_msg_id')),
              body: String(r.get('body') ?? ''),
              kind: (r.get('kind') as string | null) ?? null,
            });
          }
          pageState = page.pageState ?? undefined;
        } while (pageState);
      }
    }
  } finally {
    await client.shutdown();
  }
  return rows;
}

export interface Verdict {
  acked: number;
  lost: number;
  storedDupes: number;
  bodyDupes: number;
  seqConflicts: number;
  appDupes: number;
  outOfOrder: number;
  /** Deliveries through the late path: in the feed once, exempt from the order check. */
  late: number;
  /** E2EE rooms: messages a current member's session could not decrypt. */
  undecryptable: number;
  unseen: number;
  unsettled: number;
  sent: number;
  failedVisible: number;
  failedButStored: number;
  stored: number;
  delivered: number;
  /** A few concrete cases of each violation, for the run's details file. */
  examples: Record<string, unknown[]>;
}

const keyOf = (senderId: string, clientMsgId: string) => `${senderId}|${clientMsgId}`;

/**
 * Compares what was acked, what is stored and what each app received. Duplicates are
 * counted per (room, sender, clientMsgId), the send's identity, and also per body: every
 * send() call had a unique body, so two rows with one body are one send stored twice
 * even if the copies carry different client ids.
 */
export function judge(
  sends: SendRecord[],
  rows: StoredRow[],
  rooms: { id: string; members: number[]; e2ee?: boolean }[],
  feeds: Map<string, Delivery[]>[],
): Verdict {
  const examples: Record<string, unknown[]> = {};
  const note = (kind: string, detail: unknown) => {
    const list = (examples[kind] ??= []);
    if (list.length < 10) list.push(detail);
  };

  let storedDupes = 0;
  let bodyDupes = 0;
  let seqConflicts = 0;
  let lost = 0;
  let appDupes = 0;
  let outOfOrder = 0;
  let late = 0;
  let undecryptable = 0;
  let unseen = 0;
  let failedButStored = 0;

  for (const room of rooms) {
    // MLS handshake messages (commits, welcomes) ride the same ordered feed but are the
    // session's own traffic, not sends of the app: the checks below are about the latter.
    const roomRows = rows.filter(
      (r) => r.roomId === room.id && (r.kind === null || r.kind === 'mls-app'),
    );
    const byKey = new Map<string, StoredRow[]>();
    const byBody = new Map<string, StoredRow[]>();
    const bySeq = new Map<number, StoredRow[]>();
    for (const r of roomRows) {
      const k = keyOf(r.senderId, r.clientMsgId);
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
      byBody.set(r.body, [...(byBody.get(r.body) ?? []), r]);
      bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
    }
    for (const copies of byKey.values()) {
      if (copies.length > 1) {
        storedDupes += copies.length - 1;
        note(
          'stored_dupes',
          copies.map((c) => ({ seq: c.seq, id: c.messageId, body: c.body })),
        );
      }
    }
    for (const copies of byBody.values()) {
      const keys = new Set(copies.map((c) => keyOf(c.senderId, c.clientMsgId)));
      if (keys.size > 1) {
        bodyDupes += keys.size - 1;
        note(
          'body_dupes',
          copies.map((c) => ({ seq: c.seq, clientMsgId: c.clientMsgId })),
        );
      }
    }
    for (const [seq, atSeq] of bySeq) {
      if (atSeq.length > 1) {
        seqConflicts += atSeq.length - 1;
        note('seq_conflicts', { room: room.id, seq, ids: atSeq.map((r) => r.messageId) });
      }
    }

    const roomSends = sends.filter((s) => s.roomId === room.id);
    const bodies = new Set(roomRows.map((r) => r.body));
    for (const s of roomSends) {
      if (s.state === 'failed' && bodies.has(s.body)) failedButStored++;
    }
    const acked = roomSends.filter((s) => s.state === 'acked' && s.message);
    for (const s of acked) {
      const copies = byKey.get(keyOf(s.message!.senderId, s.message!.clientMsgId)) ?? [];
      // Acked means stored, and stored as the message the sender was given.
      if (!copies.some((c) => c.messageId === s.message!.id)) {
        lost++;
        note('lost_stored', {
          room: room.id,
          id: s.message!.id,
          seq: s.message!.seq,
          body: s.body,
        });
      }
    }

    for (const m of room.members) {
      const feed = feeds[m]!.get(room.id) ?? [];
      const seenKeys = new Set<string>();
      let maxSeq = -Infinity;
      for (const [i, d] of feed.entries()) {
        const k = keyOf(d.senderId, d.clientMsgId);
        if (seenKeys.has(k)) {
          appDupes++;
          note('app_dupes', { client: m, room: room.id, seq: d.seq, id: d.id });
          continue;
        }
        seenKeys.add(k);
        if (d.undecryptable) {
          undecryptable++;
          note('undecryptable', { client: m, room: room.id, seq: d.seq, reason: d.undecryptable });
        }
        // The late path is the SDK's documented way to hand over a message below the
        // position: counted, and checked for loss and duplicates, but not for order.
        if (d.late) {
          late++;
          continue;
        }
        if (d.seq <= maxSeq) {
          outOfOrder++;
          note('out_of_order', {
            client: m,
            room: room.id,
            seq: d.seq,
            after: maxSeq,
            around: feed.slice(Math.max(0, i - 3), i + 3).map((x) => x.seq),
          });
        }
        maxSeq = Math.max(maxSeq, d.seq);
      }
      for (const s of acked) {
        if (!seenKeys.has(keyOf(s.message!.senderId, s.message!.clientMsgId))) {
          lost++;
          note('lost_delivery', { client: m, room: room.id, seq: s.message!.seq });
        }
      }
      // Stored but never shown to this member (acked ones are already counted as lost).
      const ackedKeys = new Set(
        acked.map((s) => keyOf(s.message!.senderId, s.message!.clientMsgId)),
      );
      for (const k of byKey.keys()) {
        if (!seenKeys.has(k) && !ackedKeys.has(k)) {
          unseen++;
          note('unseen', { client: m, room: room.id, seqs: byKey.get(k)!.map((r) => r.seq) });
        }
      }
    }
  }

  return {
    acked: sends.filter((s) => s.state === 'acked').length,
    lost,
    storedDupes,
    bodyDupes,
    seqConflicts,
    appDupes,
    outOfOrder,
    late,
    undecryptable,
    unseen,
    unsettled: sends.filter((s) => s.state === 'pending').length,
    sent: sends.length,
    failedVisible: sends.filter((s) => s.state === 'failed').length,
    failedButStored,
    stored: rows.filter((r) => r.kind === null || r.kind === 'mls-app').length,
    delivered: feeds.reduce((n, f) => n + [...f.values()].reduce((k, d) => k + d.length, 0), 0),
    examples,
  };
}

/** The checks that fail the run: anything the delivery guarantee rules out. */
export function violations(v: Verdict): string[] {
  const bad: string[] = [];
  if (v.lost) bad.push('lost');
  if (v.storedDupes) bad.push('stored_dupes');
  if (v.bodyDupes) bad.push('body_dupes');
  if (v.seqConflicts) bad.push('seq_conflicts');
  if (v.appDupes) bad.push('app_dupes');
  if (v.outOfOrder) bad.push('out_of_order');
  if (v.unseen) bad.push('unseen');
  if (v.undecryptable) bad.push('undecryptable');
  if (v.unsettled) bad.push('unsettled');
  if (v.acked === 0) bad.push('nothing_acked');
  return bad;
}
