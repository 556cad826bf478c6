/**
 * @module source-args
 * The command line shared by the source-throughput benchmarks (`sources`, `broker-sources`):
 * `--records --channels --runs --sources --nodes`; each bench gives its own defaults.
 */
import { parseArgs } from 'node:util';

export interface SourceBenchArgs {
  records: number;
  channels: number;
  runs: number;
  /** Source kinds, in the order given. */
  sources: string[];
  /** Node counts, in the order given. */
  nodes: number[];
}

export function sourceBenchArgs(defaults: { records: string; sources: string }): SourceBenchArgs {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: defaults.records },
      channels: { type: 'string', default: '16' },
      runs: { type: 'string', default: '2' },
      sources: { type: 'string', default: defaults.sources },
      nodes: { type: 'string', default: '1,2' },
    },
  });
  return {
    records: Number(values.records),
    channels: Number(values.channels),
    runs: Number(values.runs),
    sources: values.sources.split(','),
    nodes: values.nodes.split(',').map(Number),
  };
}
