import type { PublicUser } from '@parley/contract';
import type { ParleyClient } from './client';

/** Public profiles of other users: `client.users`. */
export class UsersApi {
  constructor(private readonly client: ParleyClient) {}

  /** Profiles by id (unknown ids are left out); at most 100 ids per call. */
  async get(ids: string[]): Promise<PublicUser[]> {
    if (ids.length === 0) return [];
    const query = new URLSearchParams({ ids: [...new Set(ids)].join(',') });
    const { users } = await this.client.rest<{ users: PublicUser[] }>('GET', `/users?${query}`);
    return users;
  }

  /** One profile by exact (case-insensitive) username, or undefined. */
  async find(username: string): Promise<PublicUser | undefined> {
    const query = new URLSearchParams({ username });
    const { users } = await this.client.rest<{ users: PublicUser[] }>('GET', `/users?${query}`);
    return users[0];
  }
}
