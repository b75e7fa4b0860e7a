import { type ClaimedKeyPackage, limits } from '@parley/contract';
import { consumeOrThrow } from '../auth/login-throttle';
import type { Engine } from '../cluster/engine';
import { AppError } from '../errors';
import type { Stores } from '../storage/types';

export interface KeyDirectoryDeps {
  stores: Stores;
  engine: Pick<Engine, 'createRateLimiter'>;
}

/**
 * The delivery service's key directory (MLS KeyPackages, RFC 9420 §10): devices upload
 * packages, members of an E2EE room claim one per device of the users they add. The server
 * checks shape, size and bounds; a package's content is the clients' business.
 */
export function createKeyDirectoryService(deps: KeyDirectoryDeps) {
  const { stores } = deps;
  // Claims drain other users' packages: bounded per claimer, cluster-wide.
  const claimLimiter = deps.engine.createRateLimiter({
    keyPrefix: 'key-claim',
    points: 60,
    durationSeconds: 60,
  });

  return {
    async upload(userId: string, deviceId: string, keyPackages: string[]) {
      const devices = await stores.keys.listDevices(userId);
      const device = devices.find((d) => d.deviceId === deviceId);
      if (!device && devices.length >= limits.devicesPerUserMax)
        throw new AppError(
          'CONFLICT',
          `a user may register at most ${limits.devicesPerUserMax} devices for E2EE`,
        );
      const remaining = (device?.remaining ?? 0) + keyPackages.length;
      if (remaining > limits.keyPackagesPerDeviceMax)
        throw new AppError(
          'CONFLICT',
          `a device may keep at most ${limits.keyPackagesPerDeviceMax} unclaimed KeyPackages (it has ${device?.remaining ?? 0})`,
        );
      await stores.keys.addKeyPackages(userId, deviceId, keyPackages);
      return { deviceId, remaining };
    },

    async count(userId: string, deviceId: string) {
      return { deviceId, remaining: await stores.keys.countKeyPackages(userId, deviceId) };
    },

    /**
     * The caller is already known to be a member of `roomId`; the room must be E2EE and every
     * user a member of it.
     */
    async claim(claimerId: string, roomId: string, userIds: string[], skipDeviceIds: string[]) {
      const room = await stores.rooms.findRoom(roomId);
      if (room?.e2ee !== true)
        throw new AppError(
          'ROOM_NOT_E2EE',
          'KeyPackages are claimed for end-to-end encrypted rooms',
        );
      // Only for users already in the room (invite first, then add to the group): a member
      // cannot drain the packages of users who have nothing to do with the room.
      const targets = [...new Set(userIds)];
      const memberships = await Promise.all(
        targets.map((id) => stores.rooms.findMember(roomId, id)),
      );
      const outsider = targets.find((_, i) => memberships[i] === undefined);
      if (outsider !== undefined)
        throw new AppError('FORBIDDEN', `user ${outsider} is not a member of this room`);
      await consumeOrThrow(claimLimiter, claimerId, 'claiming KeyPackages too fast');
      const skip = new Set(skipDeviceIds);
      const packages: ClaimedKeyPackage[] = [];
      const exhausted: { userId: string; deviceId: string }[] = [];
      for (const userId of targets) {
        const devices = (await stores.keys.listDevices(userId)).filter(
          (d) => !skip.has(d.deviceId),
        );
        const taken = await Promise.all(
          devices.map((d) => stores.keys.claimKeyPackage(userId, d.deviceId)),
        );
        devices.forEach((d, i) => {
          const keyPackage = taken[i];
          if (keyPackage === undefined) exhausted.push({ userId, deviceId: d.deviceId });
          else packages.push({ userId, deviceId: d.deviceId, keyPackage });
        });
      }
      return { packages, exhausted };
    },
  };
}
export type KeyDirectoryService = ReturnType<typeof createKeyDirectoryService>;
