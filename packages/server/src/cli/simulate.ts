/**
 * @module cli/simulate
 * `herald simulate`: seed 000's backend simulator. Publishes a steady stream of plausible
 * events (orders moving through their states, user notifications) so a demo page, the
 * subscribe command or a benchmark has something to show.
 */
import { Publisher, PublishError } from '@herald/publisher';
import { mintTimeToken } from '../auth/time-token.js';
import { credentials } from './publish.js';
import { httpUrl, parse, RuntimeError, UsageError } from './usage.js';

export const SIMULATE_USAGE = `Usage: herald simulate [options]

Publishes demo events until stopped (Ctrl-C) or until --count, with a progress line on stderr.

Options:
  --url <url>                 Herald base URL (default $HERALD_URL or http://127.0.0.1:8080)
  --secret / --key-id / --api-key   Credentials, as for \`herald publish\`
  --time-token-secret <s>     Publish as seed 000's simulator does: POST /update?channel=…
                              with an X-API-Token (default $TIME_TOKEN_SECRET)
  --window <seconds>          Time-token window (default $TIME_WINDOW_SECONDS or 30)
  --channels <list>           Comma-separated channels (default orders,notifications#demo-user)
  --rate <per second>         Events per second (default 2)
  --count <n>                 Stop after n events (default: run until stopped)
  -h, --help                  Show this help`;

const STATES = ['created', 'paid', 'packed', 'shipped', 'delivered'];

/** The n-th simulated event for a channel: orders advance through their states, the rest notify. */
export function simulatedEvent(channel: string, n: number): { event: string; data: Record<string, unknown> } {
  const at = new Date().toISOString();
  if (channel.startsWith('orders')) {
    const order = 1000 + Math.floor(n / STATES.length);
    const status = STATES[n % STATES.length]!;
    return { event: `order.${status}`, data: { order, status, total: ((order * 37) % 500) + 0.99, at } };
  }
  return { event: 'notification', data: { id: n, title: `Notification #${n}`, body: 'Something happened in your account.', at } };
}

export async function simulateCommand(args: string[]): Promise<void> {
  const { values, help } = parse(
    args,
    {
      url: { type: 'string' },
      secret: { type: 'string' },
      'key-id': { type: 'string' },
      'api-key': { type: 'string' },
      'time-token-secret': { type: 'string' },
      window: { type: 'string' },
      channels: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
    },
    SIMULATE_USAGE,
  );
  if (help) return void process.stdout.write(`${SIMULATE_USAGE}\n`);
  const rate = Number(values.rate ?? 2);
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (!(rate > 0 && rate <= 10_000)) throw new UsageError('--rate must be between 0 and 10000 per second', SIMULATE_USAGE);
  if (!(count > 0)) throw new UsageError('--count must be a positive number', SIMULATE_USAGE);
  const channels = (values.channels ?? 'orders,notifications#demo-user').split(',').filter(Boolean);
  const base = httpUrl(values.url);
  const timeSecret = values['time-token-secret'] ?? process.env.TIME_TOKEN_SECRET;
  const windowSeconds = Number(values.window ?? process.env.TIME_WINDOW_SECONDS ?? 30);

  let send: (channel: string, event: string, data: unknown) => Promise<void>;
  if (timeSecret) {
    send = async (channel, event, data) => {
      const res = await fetch(`${base}/update?channel=${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-token': mintTimeToken(timeSecret, { windowSeconds }) },
        body: JSON.stringify({ event, ...(data as object) }),
      });
      if (!res.ok) throw new RuntimeError(`Herald answered ${res.status}: ${await res.text()}`);
    };
  } else {
    const publisher = new Publisher({ url: base, ...credentials(values) });
    send = async (channel, event, data) => void (await publisher.publish(channel, data, { event }));
  }

  let sent = 0;
  let errors = 0;
  let stopped = false;
  const onSignal = () => (stopped = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  const progress = () => process.stderr.write(`\rsimulate: ${sent} published (${(sent / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1)}/s), ${errors} errors   `);
  for (let n = 0; n < count && !stopped; n++) {
    const channel = channels[n % channels.length]!;
    const { event, data } = simulatedEvent(channel, n);
    try {
      await send(channel, event, data);
      sent++;
    } catch (err) {
      errors++;
      const fatal = err instanceof PublishError && err.status >= 400 && err.status < 500;
      if (fatal || err instanceof RuntimeError) {
        process.stderr.write('\n');
        throw err instanceof RuntimeError ? err : new RuntimeError(`${err.code}: ${err.message}`);
      }
    }
    progress();
    const due = started + ((n + 1) * 1000) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  process.stderr.write('\n');
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
