/**
 * @module connection/registry
 * This node's live streaming connections (WebSocket, SSE), by client id and by user, so that
 * control commands (control/) find the connections they act on without walking every socket.
 */
import type { Connection } from './connection.js';

export class ConnectionRegistry {
  readonly #byClient = new Map<string, Connection>();
  readonly #byUser = new Map<string, Set<Connection>>();
  /** Told of every connection filed under a user, at once (control/control.ts re-checks recent revocations). */
  onUser: ((connection: Connection) => void) | undefined;

  add(connection: Connection): void {
    this.#byClient.set(connection.id, connection);
    this.#index(connection, connection.identity.user);
    if (connection.identity.user !== '') this.onUser?.(connection);
  }

  remove(connection: Connection): void {
    if (this.#byClient.get(connection.id) !== connection) return;
    this.#byClient.delete(connection.id);
    this.#unindex(connection, connection.identity.user);
  }

  /** An anonymous connection authenticated (`auth` frame): file it under its user. */
  userChanged(connection: Connection, previous: string): void {
    if (!this.#byClient.has(connection.id)) return;
    this.#unindex(connection, previous);
    this.#index(connection, connection.identity.user);
    if (connection.identity.user !== '') this.onUser?.(connection);
  }

  get(client: string): Connection | undefined {
    return this.#byClient.get(client);
  }

  /** The user's connections on this node (none for the anonymous user ''). */
  ofUser(user: string): Connection[] {
    return user === '' ? [] : [...(this.#byUser.get(user) ?? [])];
  }

  all(): IterableIterator<Connection> {
    return this.#byClient.values();
  }

  get size(): number {
    return this.#byClient.size;
  }

  #index(connection: Connection, user: string): void {
    if (user === '') return;
    let set = this.#byUser.get(user);
    if (!set) this.#byUser.set(user, (set = new Set()));
    set.add(connection);
  }

  #unindex(connection: Connection, user: string): void {
    const set = this.#byUser.get(user);
    if (set?.delete(connection) && set.size === 0) this.#byUser.delete(user);
  }
}
