/**
 * The parts of a Markdown doc the doc tests check: its fenced code blocks (with the
 * `<!-- not-run: reason -->` mark that may precede one), its links and its heading anchors.
 */
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from test/e2e/dist/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  /** The reason given in a `<!-- not-run: … -->` comment right before the block. */
  notRun: string | undefined;
}

const FENCE = /^```\s*([\w-]*)\s*$/;
const NOT_RUN = /^<!--\s*not-run:\s*(.+?)\s*-->$/;

export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim()) previous = lines[i]!.trim();
      continue;
    }
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    blocks.push({ file, line: start + 1, lang: open[1] ?? '', text: body.join('\n'), notRun: NOT_RUN.exec(previous)?.[1] });
    previous = '';
  }
  return blocks;
}

/** Markdown without its code blocks (links and headings inside them are not links or headings). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```\s*$/gm, '');
}

/** Link and image targets, e.g. `docs/api.md#get-metrics`, `https://…`, `#tested-on`. */
export function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** Heading anchors the way GitHub makes them: lowercase, punctuation dropped, spaces to dashes. */
export function anchors(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    slugs.add(m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return slugs;
}
