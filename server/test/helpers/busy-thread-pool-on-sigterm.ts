import { pbkdf2 } from 'node:crypto';

/**
 * Test preload (`--import`) for a node run with UV_THREADPOOL_SIZE=1: on SIGTERM, before
 * the server's own handler runs, it occupies libuv's only thread pool thread for about a
 * second. Log writes queued behind it are still pending when the drain ends, as they can
 * be on a busy machine; a node must not exit before they are written.
 */
process.on('SIGTERM', () => {
  pbkdf2('busy', 'thread pool', 1_500_000, 64, 'sha512', () => undefined);
});
