/**
 * Running doc blocks the way a reader would: shell blocks command by command in bash (checking
 * the `# → output` lines and `# exit N` comments they show), JavaScript blocks as ES modules in
 * Node 20 with the `ws` and `eventsource` packages standing in for the browser's globals.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, type Running } from './spawn.js';

export interface ShellCommand {
  command: string;
  /** From a trailing `# exit N` comment; 0 otherwise. */
  exit: number;
  /** `# → …` lines right after the command: lines its stdout must show, in order. */
  output: string[];
}

/** Splits a shell block into commands (joining `\` continuations) and their documented results. */
export function shellCommands(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = pending ? `${pending}\n${raw}` : raw;
    if (/\\$/.test(raw)) {
      pending = line;
      continue;
    }
    pending = '';
    const trimmed = line.trim();
    const shown = /^#\s*→\s?(.*)$/.exec(trimmed);
    if (shown) {
      commands.at(-1)?.output.push(shown[1]!);
      continue;
    }
    if (!trimmed || trimmed.startsWith('#')) continue;
    commands.push({ command: line, exit: Number(/\s#[^\n]*\bexit (\d+)\b/.exec(line)?.[1] ?? 0), output: [] });
  }
  return commands;
}

/**
 * A documented output line as a pattern: `…` stands for anything, and an `"epoch":"…"` value is
 * an example (epochs are generated per run), so any epoch matches. `prefix`: the line may go on.
 */
export function shownPattern(shown: string, prefix = false): RegExp {
  const escaped = shown
    .replace(/"epoch":"[^"]*"/g, '\u0000')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/…/g, '.*?')
    .replace(/\u0000/g, '"epoch":"[^"]+"');
  return new RegExp(`^${escaped}${prefix ? '' : '$'}`);
}

/** True when the lines appear in the output in the documented order. */
export function showsInOrder(output: string, shown: string[]): boolean {
  const lines = output.split('\n').map((l) => l.trimEnd());
  let at = 0;
  for (const expected of shown) {
    const pattern = shownPattern(expected.trimEnd());
    while (at < lines.length && !pattern.test(lines[at]!)) at++;
    if (at++ >= lines.length) return false;
  }
  return true;
}

export async function runShell(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  return run('bash', ['-c', command], { cwd, env }, timeoutMs);
}

/**
 * What a browser gives a snippet, in Node 20: WebSocket from `ws`, EventSource from the
 * `eventsource` package; console.log writes its arguments as one JSON array per line so the test
 * reads exactly what the snippet logged.
 */
const PRELUDE = `import { WebSocket as NodeWebSocket } from 'ws';
import { EventSource as NodeEventSource } from 'eventsource';
globalThis.WebSocket ??= NodeWebSocket;
globalThis.EventSource ??= NodeEventSource;
console.log = (...args) => process.stdout.write(JSON.stringify(args) + '\\n');
`;

/** Starts a JavaScript block as a module in `dir` (so its imports resolve from there). */
export function startSnippet(dir: string, name: string, code: string, env: NodeJS.ProcessEnv): Running {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `${PRELUDE}\n${code}\n`);
  return start(process.execPath, [file], { cwd: dir, env });
}

/** What a snippet logged so far: one array of console.log arguments per line. */
export function logged(p: Running): unknown[][] {
  return p
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown[]);
}
