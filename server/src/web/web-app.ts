import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';

/** The repository's built web app, relative to this file (server/src/web). */
export const defaultWebDir = path.resolve(import.meta.dirname, '../../../web/dist');

/**
 * Serves the built web app: `/` the chat, `/admin` the console, `/assets/*` their files.
 * `/admin` is also the admin REST API's prefix, so the console's HTML is sent only for a
 * browser navigation to exactly `/admin` or `/admin/` (a GET that prefers HTML); every
 * other request falls through to the API, which answers it as before.
 */
export function webApp(dir: string | undefined): { router: Router; built: boolean; dir: string } {
  const root = dir ?? defaultWebDir;
  const router = Router();
  const built = existsSync(path.join(root, 'index.html'));
  if (!built) {
    router.get('/', notBuilt);
    return { router, built, dir: root };
  }
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let file: string | undefined;
    if (req.path === '/') file = 'index.html';
    // Only a browser navigation: API clients (Accept: */* or JSON) reach the admin API.
    else if (
      (req.path === '/admin' || req.path === '/admin/') &&
      req.accepts(['json', 'html']) === 'html'
    )
      file = 'admin.html';
    if (!file) return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(path.join(root, file));
  });
  // Hashed file names: cache for good. Nothing else in the folder is served.
  router.use(
    '/assets',
    express.static(path.join(root, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
  return { router, built, dir: root };
}

const notBuilt: RequestHandler = (req, res, next) => {
  if (req.accepts(['json', 'html']) !== 'html') return next();
  res
    .status(503)
    .type('text/plain')
    .send('The web app is not built. Run `npm run build -w web` (npm start does it for you).');
};
