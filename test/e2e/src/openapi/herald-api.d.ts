// Generated from docs/openapi.json by openapi-typescript: do not edit (npm run docs:openapi).

export interface paths {
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: send this node traffic
         * @description Turns 200 again by itself when the engine is back.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics of this node (every worker)
         * @description Open unless `metrics.token` is set; absent with `metrics.enabled: false`. The metrics are listed in docs/api.md#get-metrics.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sse": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Subscribe over Server-Sent Events (clients, not backends)
         * @description A `text/event-stream` that stays open: `subscribed`, message (named after the publication's event, else `message`), `presence`/`join`/`leave` and a final `error` event, each `data:` one line of JSON; `id:` lines resume every channel at once. OpenAPI cannot describe the events one by one: see docs/sse-longpoll.md. Refusals come before the stream, as JSON errors.
         */
        get: operations["subscribeSse"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/poll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Long-poll for messages (clients, not backends)
         * @description Held until something arrives or `longpoll.timeout_seconds` pass. Stateless: the `cursor` carries every channel's position. See docs/sse-longpoll.md.
         */
        get: operations["poll"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish to one channel
         * @description Answers as soon as the engine holds the publication, before it reaches subscribers. Retries carrying the same `Idempotency-Key` publish once.
         */
        post: operations["publish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/publish/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish many small updates in one request
         * @description 1-1000 publications, each to its own channel with its own event and data; the body is bounded by `limits.max_body_bytes`. One bad publication does not stop the others: its entry carries the error instead of a position. Publications to one channel get offsets in their order in the request. `Idempotency-Key` covers the whole batch; an item's `idempotency_key` covers that item.
         */
        post: operations["publishBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish, in the shape of the realtime services Herald replaces
         * @description Like `POST /api/publish`, with the data in `payload`.
         */
        post: operations["publishEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish in seed 000's shape
         * @description The body is the data itself (any JSON); the channel is in the query. Usually sent with an `X-API-Token` time token.
         */
        post: operations["seedUpdate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish in seed 000's shape
         * @description The body is the data itself (any JSON); the channel is in the query. Usually sent with an `X-API-Token` time token.
         */
        post: operations["seedPublish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/broadcast": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish one message to several channels
         * @description 1-1000 distinct channels. One bad channel does not stop the others: its entry carries the error instead of a position.
         */
        post: operations["broadcast"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Channels with subscribers on this node
         * @description Only the node (worker process) that answers; for one channel across every node, use `GET /api/channels/{channel}`.
         */
        get: operations["listChannels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One channel across every node
         * @description Counts from every node sharing the engine (and every worker). Each node rewrites its count at most once a second while it changes.
         */
        get: operations["getChannel"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/{channel}/presence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Members of a presence channel
         * @description Only in a namespace with `presence: true` (else 400 `bad_request`); members on every node.
         */
        get: operations["getPresence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/{channel}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A channel's recent publications
         * @description To page forward, call again with `since` = the last returned offset (and the same `epoch`).
         */
        get: operations["getHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This node's webhook receivers and their delivery counters */
        get: operations["listWebhooks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/disconnect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Disconnect a user's connections on every node
         * @description Every node closes the connections it holds (or the one `client`) with the close code. Answers once every node answered, within a second.
         */
        post: operations["disconnectUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/subscribe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Subscribe a user's live connections to a channel
         * @description Server-side: no client permission is checked, the channel's own rules are (namespace, limits). Each WebSocket connection gets a `subscribed` frame (`server: true`), or `unsubscribed` with the cause when it refuses; SSE streams are not subscribed (they get `unsubscribed`, `transport_not_allowed`). A connection already subscribed is not counted.
         */
        post: operations["subscribeUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/unsubscribe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unsubscribe a user's live connections from a channel
         * @description Each connection that was subscribed gets an `unsubscribed` frame (SSE: `event: unsubscribed`).
         */
        post: operations["unsubscribeUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's connections on every node
         * @description WebSocket and SSE connections, ordered by client id.
         */
        get: operations["listUserConnections"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Connections subscribed to a channel, on every node
         * @description Ordered by client id, a page at a time: pass `next_cursor` as `cursor` for the next page.
         */
        get: operations["listChannelConnections"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke a token by its jti
         * @description The token cannot connect or authenticate again on any node, and connections using it are closed with 4001 within a second.
         */
        post: operations["revokeToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke a user's tokens issued before a time
         * @description Tokens whose `iat` is earlier (or missing) are refused on every node and their connections closed with 4001 within a second; tokens issued later work.
         */
        post: operations["revokeUserTokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/block": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's block
         * @description Whether the user is blocked now, why and until when.
         */
        get: operations["getUserBlock"];
        put?: never;
        /**
         * Block a user
         * @description The user cannot connect or authenticate on any node (4503 / 401 `user_blocked`) until unblocked or `expires_at`; its connections are closed with 4503 within a second. Kept in the engine: it survives node restarts.
         */
        post: operations["blockUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/unblock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unblock a user
         * @description Its next connect works again, on every node.
         */
        post: operations["unblockUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ErrorBody: {
            /** @description Stable error code; the HTTP status follows from it (docs/protocol.md#error-codes). */
            code: "bad_json" | "bad_request" | "unknown_type" | "invalid_channel" | "unknown_channel" | "already_subscribed" | "not_subscribed" | "too_many_subscriptions" | "channel_full" | "transport_not_allowed" | "forbidden" | "unauthorized" | "not_found" | "method_not_allowed" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "unavailable" | "shutting_down" | "slow_consumer" | "internal";
            /** @description For people: may change between versions. */
            message: string;
            /** @description Finer cause of `unauthorized`: missing_credentials, malformed_credentials, invalid_credentials, expired_credentials, replayed_request (docs/security.md#failures). */
            reason?: string;
        };
        /** @description Every error of the HTTP API, with the status of its code. */
        ErrorResponse: {
            error: components["schemas"]["ErrorBody"];
        };
        /**
         * @example {
         *       "channel": "orders:42",
         *       "offset": 1,
         *       "epoch": "Zk3q"
         *     }
         */
        PublishResult: {
            /** @description The channel as resolved (its canonical name). */
            channel: string;
            /** @description The publication's position in the channel's stream. */
            offset: number;
            /** @description Identifies the stream: offsets compare only within one epoch. */
            epoch: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document of this node. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Always, while the process runs. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "engine": "memory",
                     *       "connections": 0
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        status: "ready";
                        engine: string;
                        /** @description WebSocket and SSE connections. */
                        connections: number;
                        /** @description Each publish source (docs/sources.md) by name; present only when sources are configured. */
                        sources?: {
                            [key: string]: {
                                /** @description Connected and consuming. */
                                up: boolean;
                                /** @description Why not, when down. */
                                reason?: string;
                                /** @description Records waiting in the source, as last measured (-1 = not yet). */
                                lag: number;
                            };
                        };
                    };
                };
            };
            /** @description Stop sending this node traffic: it shuts down, its engine cannot be reached, or a required publish source is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "shutting_down";
                    } | {
                        /** @enum {string} */
                        status: "unavailable";
                        engine: string;
                        reason: string;
                        /** @description Each publish source (docs/sources.md) by name; present only when sources are configured. */
                        sources?: {
                            [key: string]: {
                                /** @description Connected and consuming. */
                                up: boolean;
                                /** @description Why not, when down. */
                                reason?: string;
                                /** @description Records waiting in the source, as last measured (-1 = not yet). */
                                lag: number;
                            };
                        };
                    };
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    subscribeSse: {
        parameters: {
            query: {
                /** @description The channels to subscribe to: `?channel=a&channel=b`. */
                channel: string[];
                /** @description Channels among `channel` whose presence events the stream should carry. */
                presence?: string[];
                /** @description Channels among `channel` to receive with delta compression (docs/protocol.md#delta-compression). */
                delta?: string[];
                /** @description Start from this stream position; the `Last-Event-ID` header wins over it. */
                last_event_id?: string;
            };
            header?: {
                /** @description Sent by EventSource when it reconnects. */
                "last-event-id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event stream. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    poll: {
        parameters: {
            query: {
                /** @description The channels to subscribe to: `?channel=a&channel=b`. */
                channel: string[];
                /** @description From the previous answer (or an SSE event id). */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The messages since the cursor, possibly none. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        messages: {
                            /** @enum {string} */
                            type: "message";
                            channel: string;
                            offset: number;
                            epoch: string;
                            event?: string;
                            data: unknown;
                            /** @description Who sent it, for publications made by a client. */
                            info?: {
                                user: string;
                                client?: string;
                            };
                        }[];
                        /** @description Pass it as `cursor` on the next request. */
                        cursor: string;
                        /** @description Channels whose cursor position history could no longer serve: refetch their state; they continue from their current position. */
                        reset?: {
                            channel: string;
                            /** @description Why the publications after `since` could not all be returned (`undeliverable`: one could not be encoded and was left out). */
                            reason: "epoch_changed" | "history_truncated" | "offset_ahead" | "undeliverable";
                        }[];
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    publish: {
        parameters: {
            query?: never;
            header?: {
                /** @description Send the same key (1-128 of A-Z a-z 0-9 _ . : -) on every retry: within 10 minutes a repeated key gets the first attempt's answer instead of publishing again. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "channel": "orders:42",
                 *       "event": "updated",
                 *       "data": {
                 *         "status": "paid"
                 *       }
                 *     }
                 */
                "application/json": {
                    /** @description `namespace:name`, e.g. `orders:42`. */
                    channel: string;
                    /** @description Optional event name that subscribers can filter on. */
                    event?: string;
                    /** @description Conflation key (e.g. `price:AAPL`): in a namespace with `conflation` on, a subscriber that fell behind gets only the latest publication per key. */
                    key?: string;
                    /** @description Any JSON value: delivered to subscribers as the exact text sent (every number and escape as written), minus insignificant whitespace. */
                    data: unknown;
                };
            };
        };
        responses: {
            /** @description Published: the position the publication got. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishResult"];
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    publishBatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Send the same key (1-128 of A-Z a-z 0-9 _ . : -) on every retry: within 10 minutes a repeated key gets the first attempt's answer instead of publishing again. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "publications": [
                 *         {
                 *           "channel": "notifications#u1",
                 *           "event": "new",
                 *           "data": {
                 *             "id": 7
                 *           }
                 *         },
                 *         {
                 *           "channel": "notifications#u2",
                 *           "event": "new",
                 *           "data": {
                 *             "id": 8
                 *           },
                 *           "idempotency_key": "n-8"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @description 1-1000 publications; those to one channel get offsets in their order here. */
                    publications: {
                        /** @description `namespace:name`, e.g. `orders:42`. */
                        channel: string;
                        /** @description Optional event name that subscribers can filter on. */
                        event?: string;
                        /** @description Conflation key (e.g. `price:AAPL`): in a namespace with `conflation` on, a subscriber that fell behind gets only the latest publication per key. */
                        key?: string;
                        /** @description Any JSON value: delivered to subscribers as the exact text sent (every number and escape as written), minus insignificant whitespace. */
                        data: unknown;
                        /** @description This publication's own idempotency key (1-128 of A-Z a-z 0-9 _ . : -), in the same key space as `Idempotency-Key` on `POST /api/publish`: a retried item, alone or in another batch, publishes once. */
                        idempotency_key?: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description One result per publication, in order. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "results": [
                     *         {
                     *           "channel": "orders:42",
                     *           "offset": 2,
                     *           "epoch": "Zk3q"
                     *         },
                     *         {
                     *           "channel": "bad name",
                     *           "error": {
                     *             "code": "invalid_channel",
                     *             "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description One entry per requested channel, in order. */
                        results: (components["schemas"]["PublishResult"] | {
                            channel: string;
                            error: components["schemas"]["ErrorBody"];
                        })[];
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    publishEvent: {
        parameters: {
            query?: never;
            header?: {
                /** @description Send the same key (1-128 of A-Z a-z 0-9 _ . : -) on every retry: within 10 minutes a repeated key gets the first attempt's answer instead of publishing again. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "channel": "orders:42",
                 *       "event": "updated",
                 *       "payload": {
                 *         "status": "paid"
                 *       }
                 *     }
                 */
                "application/json": {
                    /** @description `namespace:name`, e.g. `orders:42`. */
                    channel: string;
                    /** @description Optional event name that subscribers can filter on. */
                    event?: string;
                    /** @description Any JSON value: delivered to subscribers as the exact text sent (every number and escape as written), minus insignificant whitespace. */
                    payload: unknown;
                };
            };
        };
        responses: {
            /** @description Published. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishResult"];
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    seedUpdate: {
        parameters: {
            query?: {
                /** @description The channel; `server.default_channel` (`updates` by default) when absent. */
                channel?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description The data to publish: any JSON value, delivered as the exact text sent minus insignificant whitespace. */
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "status": "paid"
                 *     }
                 */
                "application/json": unknown;
            };
        };
        responses: {
            /** @description Published. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishResult"];
                };
            };
            /** @description Published, with `compat.seed000` on: an empty body, as seed 000 answered. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    seedPublish: {
        parameters: {
            query?: {
                /** @description The channel; `server.default_channel` (`updates` by default) when absent. */
                channel?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description The data to publish: any JSON value, delivered as the exact text sent minus insignificant whitespace. */
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "status": "paid"
                 *     }
                 */
                "application/json": unknown;
            };
        };
        responses: {
            /** @description Published. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishResult"];
                };
            };
            /** @description Published, with `compat.seed000` on: an empty body, as seed 000 answered. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    broadcast: {
        parameters: {
            query?: never;
            header?: {
                /** @description Send the same key (1-128 of A-Z a-z 0-9 _ . : -) on every retry: within 10 minutes a repeated key gets the first attempt's answer instead of publishing again. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "channels": [
                 *         "orders:42",
                 *         "orders:43"
                 *       ],
                 *       "event": "updated",
                 *       "data": {
                 *         "status": "paid"
                 *       }
                 *     }
                 */
                "application/json": {
                    channels: string[];
                    /** @description Optional event name that subscribers can filter on. */
                    event?: string;
                    /** @description Conflation key (e.g. `price:AAPL`): in a namespace with `conflation` on, a subscriber that fell behind gets only the latest publication per key. */
                    key?: string;
                    /** @description Any JSON value: delivered to subscribers as the exact text sent (every number and escape as written), minus insignificant whitespace. */
                    data: unknown;
                };
            };
        };
        responses: {
            /** @description One result per channel, in order. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "results": [
                     *         {
                     *           "channel": "orders:42",
                     *           "offset": 2,
                     *           "epoch": "Zk3q"
                     *         },
                     *         {
                     *           "channel": "bad name",
                     *           "error": {
                     *             "code": "invalid_channel",
                     *             "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description One entry per requested channel, in order. */
                        results: (components["schemas"]["PublishResult"] | {
                            channel: string;
                            error: components["schemas"]["ErrorBody"];
                        })[];
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "forbidden",
                     *         "message": "internal channels are published to by Herald only"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is larger than `limits.max_body_bytes` (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "payload_too_large",
                     *         "message": "Request body is too large"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The body is not `Content-Type: application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unsupported_media_type",
                     *         "message": "send the request body as Content-Type: application/json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listChannels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Local channels and their subscriber counts. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "channels": [
                     *         {
                     *           "channel": "orders:42",
                     *           "subscribers": 3
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        channels: {
                            channel: string;
                            subscribers: number;
                        }[];
                    };
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getChannel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The channel, URL-encoded (`notifications%23u42`). */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The channel and its subscribers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "channel": "orders:42",
                     *       "occupied": true,
                     *       "subscribers": 5,
                     *       "nodes": 2
                     *     }
                     */
                    "application/json": {
                        channel: string;
                        /** @description Some node has a subscriber. */
                        occupied: boolean;
                        /** @description Subscribers on every node, each node's count at most about a second old. */
                        subscribers: number;
                        /** @description Nodes (and workers) with subscribers. */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getPresence: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The channel, URL-encoded (`notifications%23u42`). */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One entry per user. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "channel": "chat:room1",
                     *       "members": [
                     *         {
                     *           "user": "u1",
                     *           "clients": [
                     *             "c_3kq1"
                     *           ],
                     *           "info": {
                     *             "name": "Alice",
                     *             "status": "typing"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        channel: string;
                        /** @description One entry per user. */
                        members: {
                            user: string;
                            /** @description The user's connections in the channel. */
                            clients: string[];
                            /** @description The user's current info: the most recently set among its connections (token `info` claim, connect or subscribe hook, `presence_update`). */
                            info?: {
                                [key: string]: unknown;
                            };
                        }[];
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getHistory: {
        parameters: {
            query?: {
                /** @description With `epoch`: only publications after this offset, oldest first. */
                since?: number;
                /** @description The epoch `since` belongs to (from a message or an earlier answer). */
                epoch?: string;
                /** @description At most this many (default and maximum `limits.history_limit`); without `since`, the latest ones. */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description The channel, URL-encoded (`notifications%23u42`). */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Publications and the stream's current position. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "channel": "orders:42",
                     *       "offset": 2,
                     *       "epoch": "Zk3q",
                     *       "publications": [
                     *         {
                     *           "offset": 2,
                     *           "event": "updated",
                     *           "data": {
                     *             "status": "shipped"
                     *           }
                     *         }
                     *       ],
                     *       "recovered": true
                     *     }
                     */
                    "application/json": {
                        channel: string;
                        /** @description The stream's current position (its last offset). */
                        offset: number;
                        epoch: string;
                        /** @description Oldest first. */
                        publications: {
                            offset: number;
                            event?: string;
                            /** @description The conflation key, when the publisher gave one. */
                            key?: string;
                            data: unknown;
                        }[];
                        /** @description With `since`: whether every publication after it is here. Also false, with or without `since`, when a publication that could not be encoded was left out. */
                        recovered?: boolean;
                        /** @description Why the publications after `since` could not all be returned (`undeliverable`: one could not be encoded and was left out). */
                        reason?: "epoch_changed" | "history_truncated" | "offset_ahead" | "undeliverable";
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One entry per receiver. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "webhooks": [
                     *         {
                     *           "url": "https://backend.example/hook",
                     *           "delivered": 120,
                     *           "failed": 0,
                     *           "dropped": 0,
                     *           "queued": 0
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        webhooks: {
                            /** @description Origin and path only: the query string may hold a credential. */
                            url: string;
                            delivered: number;
                            failed: number;
                            dropped: number;
                            queued: number;
                        }[];
                    };
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    disconnectUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "reconnect": false,
                 *       "reason": "logged out"
                 *     }
                 */
                "application/json": {
                    /** @description Act on this connection only (its `client` id, from the `connected` frame or the connections list). */
                    client?: string;
                    /** @description Close code: 4100-4499 tell the client to reconnect, 4500-4999 not to. Default: 4100 with `reconnect`, else 4500. */
                    code?: number;
                    /** @description Close reason shown to the client (default: "disconnected by the server"). */
                    reason?: string;
                    /** @description Whether the client may come back (default true); ignored when `code` is given. */
                    reconnect?: boolean;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "disconnected": 3,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        disconnected: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    subscribeUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "channel": "orders:42"
                 *     }
                 */
                "application/json": {
                    /** @description `namespace:name`, e.g. `orders:42`. */
                    channel: string;
                    /** @description Act on this connection only (its `client` id, from the `connected` frame or the connections list). */
                    client?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "channel": "orders:42",
                     *       "subscribed": 2,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        channel: string;
                        subscribed: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                        /** @description Present when some node refused: the first refusal of each such node. */
                        errors?: {
                            code: string;
                            message: string;
                        }[];
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    unsubscribeUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "channel": "orders:42"
                 *     }
                 */
                "application/json": {
                    /** @description `namespace:name`, e.g. `orders:42`. */
                    channel: string;
                    /** @description Act on this connection only (its `client` id, from the `connected` frame or the connections list). */
                    client?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "channel": "orders:42",
                     *       "unsubscribed": 2,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        channel: string;
                        unsubscribed: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listUserConnections: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "connections": [
                     *         {
                     *           "client": "c_Q2x1",
                     *           "user": "u42",
                     *           "node": "n1",
                     *           "transport": "websocket",
                     *           "channels": [
                     *             "orders:42"
                     *           ],
                     *           "since": "2026-12-01T17:00:00.000Z",
                     *           "address": "203.0.113.7"
                     *         }
                     *       ],
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        connections: {
                            client: string;
                            /** @description Empty for an anonymous client. */
                            user: string;
                            /** @description The node it is connected to (`server.node_name`). */
                            node: string;
                            transport: "websocket" | "sse";
                            channels: string[];
                            /**
                             * Format: date-time
                             * @description When it connected.
                             */
                            since: string;
                            /** @description The client's address (behind a trusted proxy, the forwarded one). */
                            address: string;
                        }[];
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listChannelConnections: {
        parameters: {
            query: {
                /** @description `namespace:name`, e.g. `orders:42`. */
                channel: string;
                /** @description Page size (default 100). */
                limit?: number;
                /** @description From `next_cursor` of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "channel": "orders:42",
                     *       "connections": [
                     *         {
                     *           "client": "c_Q2x1",
                     *           "user": "u42",
                     *           "node": "n1",
                     *           "transport": "websocket",
                     *           "channels": [
                     *             "orders:42"
                     *           ],
                     *           "since": "2026-12-01T17:00:00.000Z",
                     *           "address": "203.0.113.7"
                     *         }
                     *       ],
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        channel: string;
                        connections: {
                            client: string;
                            /** @description Empty for an anonymous client. */
                            user: string;
                            /** @description The node it is connected to (`server.node_name`). */
                            node: string;
                            transport: "websocket" | "sse";
                            channels: string[];
                            /**
                             * Format: date-time
                             * @description When it connected.
                             */
                            since: string;
                            /** @description The client's address (behind a trusted proxy, the forwarded one). */
                            address: string;
                        }[];
                        /** @description Absent on the last page. */
                        next_cursor?: string;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "jti": "b1946ac9",
                 *       "expires_at": 1767225600
                 *     }
                 */
                "application/json": {
                    /** @description The `jti` claim of the token to revoke. */
                    jti: string;
                    /** @description Keep the revocation until then: the token's `exp`. Default: now + `auth.jwt.revocation_ttl_seconds`. */
                    expires_at?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "jti": "b1946ac9",
                     *       "expires_at": 1767225600,
                     *       "disconnected": 1,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        jti: string;
                        expires_at: number;
                        /** @description Live connections it closed (code 4001, or 4503 for a block). */
                        disconnected: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    revokeUserTokens: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /** @example {} */
                "application/json": {
                    /** @description Revoke the user's tokens whose `iat` is before this time, and those without `iat`. Default: now. */
                    issued_before?: number;
                    /** @description Keep the revocation until then (when the last such token expires). Default: now + `auth.jwt.revocation_ttl_seconds`. */
                    expires_at?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "issued_before": 1764608400,
                     *       "expires_at": 1765213200,
                     *       "disconnected": 2,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        issued_before: number;
                        expires_at: number;
                        /** @description Live connections it closed (code 4001, or 4503 for a block). */
                        disconnected: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getUserBlock: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "blocked": true,
                     *       "reason": "abuse",
                     *       "expires_at": 1767225600,
                     *       "disconnected": 2,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        blocked: boolean;
                        reason?: string;
                        /** @description Absent: until unblocked. */
                        expires_at?: number;
                        /** @description Live connections it closed (code 4001, or 4503 for a block). */
                        disconnected?: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes?: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    blockUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "reason": "abuse",
                 *       "expires_at": 1767225600
                 *     }
                 */
                "application/json": {
                    /** @description Told to the client in the close reason and connect refusals. */
                    reason?: string;
                    /** @description The block ends by itself then. Default: never (until unblocked). */
                    expires_at?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "blocked": true,
                     *       "reason": "abuse",
                     *       "expires_at": 1767225600,
                     *       "disconnected": 2,
                     *       "nodes": 3
                     *     }
                     */
                    "application/json": {
                        user: string;
                        blocked: boolean;
                        reason?: string;
                        /** @description Absent: until unblocked. */
                        expires_at?: number;
                        /** @description Live connections it closed (code 4001, or 4503 for a block). */
                        disconnected?: number;
                        /** @description How many nodes answered within the second the command may take (each acted on its own connections). */
                        nodes?: number;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    unblockUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded. */
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": "u42",
                     *       "unblocked": true
                     *     }
                     */
                    "application/json": {
                        user: string;
                        /** @description Whether it was blocked. */
                        unblocked: boolean;
                    };
                };
            };
            /** @description Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_channel",
                     *         "message": "channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unauthorized",
                     *         "message": "invalid credentials",
                     *         "reason": "invalid_credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The namespace is not configured, or the channel is not declared in it (`unknown_channel`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "unknown_channel",
                     *         "message": "namespace \"orders\" is not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "rate_limited",
                     *         "message": "too many failed authentications from this address; retry after a minute"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "shutting_down",
                     *         "message": "node is shutting down; retry on another node"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
