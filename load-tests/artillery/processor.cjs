'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Artillery loads processors with require() */

/**
 * Artillery processor for chat.yml.
 *
 * Why a user pool in the `before` hook: the socketio engine opens each virtual user's
 * socket before the first flow step runs, with `config.socketio` templated against the
 * VU's variables. So the access token must already be a variable when the VU starts:
 * `before` registers and logs in `poolSize` users over REST (and puts them all in one
 * group room), and `config.socketio.auth.token` picks one of them per VU with
 * `{{ tokens[{{ $randomNumber(0, N) }}] }}`.
 */
const { randomUUID } = require('node:crypto');
const { io } = require('socket.io-client');

const PASSWORD = 'artillery-password-not-secret';
const INVITE_BATCH = 50;

/** A 429 from the auth routes means the target's per-IP limit is below what the pool needs. */
function refused(step, res, poolSize, done) {
  if (res.status === 429) {
    return new Error(
      `${step}: 429 RATE_LIMITED after ${done} of ${poolSize} users. The before hook makes ` +
        `${2 * poolSize} register/login attempts from one IP; start the target with ` +
        `LOGIN_MAX_ATTEMPTS_PER_IP >= ${2 * poolSize} (default 100 per 15 min), e.g. ` +
        `LOGIN_MAX_ATTEMPTS_PER_IP=1000 bash scripts/local-cluster.sh up (see docs/benchmarks.md)`,
    );
  }
  return new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
}

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

function request(socket, event, payload) {
  return new Promise((resolve, reject) => {
    socket.timeout(30_000).emit(event, payload, (err, ack) => {
      if (err) return reject(err);
      if (!ack.ok) return reject(new Error(`${event}: ${ack.error.code} ${ack.error.message}`));
      resolve(ack.data);
    });
  });
}

/** `before` hook: registers the pool, creates the room; sets `tokens` and `roomId`. */
async function setupPool(context, events) {
  const target = String(context.vars.target).replace(/\/$/, '');
  if (!/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(target)) {
    throw new Error(`load tests only target loopback; refusing ${target}`);
  }
  const poolSize = Number(context.vars.poolSize);
  const run = Math.random().toString(36).slice(2, 8);
  const users = new Array(poolSize);
  let next = 0;
  let done = 0;
  async function lane() {
    while (next < poolSize) {
      const i = next++;
      const username = `a${run}_${i}`;
      const reg = await post(`${target}/auth/register`, { username, password: PASSWORD });
      if (reg.status !== 201) throw refused('register', reg, poolSize, done);
      const login = await post(`${target}/auth/login`, { username, password: PASSWORD });
      if (login.status !== 200) throw refused('login', login, poolSize, done);
      users[i] = { id: login.body.user.id, token: login.body.accessToken };
      done++;
      events.emit('counter', 'parley.users_registered', 1);
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane));

  const owner = io(target, {
    auth: { token: users[0].token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise((resolve, reject) => {
    owner.once('connect', resolve);
    owner.once('connect_error', reject);
  });
  try {
    const others = users.slice(1).map((u) => u.id);
    const room = await request(owner, 'room:create', {
      name: `artillery ${run}`,
      memberIds: others.slice(0, INVITE_BATCH),
    });
    for (let i = INVITE_BATCH; i < others.length; i += INVITE_BATCH) {
      await request(owner, 'room:invite', {
        roomId: room.id,
        userIds: others.slice(i, i + INVITE_BATCH),
      });
    }
    context.vars.roomId = room.id;
    context.vars.tokens = users.map((u) => u.token);
  } finally {
    owner.close();
  }
}

/** Before each send: a fresh client message id and a body carrying the send time. */
function newMessage(context, _events, done) {
  const size = Number(context.vars.bodySize) || 100;
  const head = `${Date.now()}|artillery|`;
  context.vars.clientMsgId = randomUUID();
  context.vars.body = head.padEnd(size, 'x');
  done();
}

module.exports = { setupPool, newMessage };
