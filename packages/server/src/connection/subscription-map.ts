/**
 * @module connection/subscription-map
 * A connection's subscriptions by channel. Nearly every connection has one or a few, and a Map
 * costs ~180 bytes even for one entry: at 10 000+ idle connections a good part of a node's
 * memory. So one entry lives in two fields, and a Map is made only for a second.
 */
export class SubscriptionMap<V> {
  #key: string | undefined;
  #value: V | undefined;
  #map: Map<string, V> | undefined;

  get size(): number {
    return this.#map ? this.#map.size : this.#key === undefined ? 0 : 1;
  }

  has(key: string): boolean {
    return this.#map ? this.#map.has(key) : this.#key === key;
  }

  get(key: string): V | undefined {
    if (this.#map) return this.#map.get(key);
    return this.#key === key ? this.#value : undefined;
  }

  set(key: string, value: V): void {
    if (this.#map) this.#map.set(key, value);
    else if (this.#key === undefined || this.#key === key) {
      this.#key = key;
      this.#value = value;
    } else {
      this.#map = new Map([[this.#key, this.#value as V], [key, value]]);
      this.#key = this.#value = undefined;
    }
  }

  delete(key: string): boolean {
    if (this.#map) return this.#map.delete(key);
    if (this.#key !== key) return false;
    this.#key = this.#value = undefined;
    return true;
  }

  clear(): void {
    this.#map = this.#key = this.#value = undefined;
  }

  /** A copy: safe to change the map while walking it. */
  keys(): string[] {
    if (this.#map) return [...this.#map.keys()];
    return this.#key === undefined ? [] : [this.#key];
  }

  /** A copy: safe to change the map while walking it. */
  values(): V[] {
    if (this.#map) return [...this.#map.values()];
    return this.#key === undefined ? [] : [this.#value as V];
  }
}
