// Lists, kills and fails on processes a test run left running. Called by scripts/test.sh after the
// test runner exits: node scripts/leftover-processes.mjs <run id> <run temp dir>.
// A process belongs to the run if its environment holds HERALD_TEST_RUN=<run id> (every child the
// tests start inherits it), or if it has a file or its working directory under the run's temp dir:
// nginx rewrites its environment for its process titles, but its workers keep their error log
// open there. Zombies are already dead and are skipped.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const [id, dir] = process.argv.slice(2);
if (!id || !dir) {
  console.error('usage: leftover-processes.mjs <run id> <run temp dir>');
  process.exit(2);
}
const marker = `HERALD_TEST_RUN=${id}`;
const inDir = (path) => path === dir || path.startsWith(`${dir}/`);

function read(path) {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return ''; // gone meanwhile, or not ours to read
  }
}

function link(path) {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function belongsToRun(pid) {
  if (read(`/proc/${pid}/environ`).split('\0').includes(marker)) return true;
  if (inDir(link(`/proc/${pid}/cwd`))) return true;
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => inDir(link(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, '')));
}

const left = [];
for (const entry of readdirSync('/proc')) {
  if (!/^\d+$/.test(entry)) continue;
  const pid = Number(entry);
  // This script and the test.sh that runs it carry the marker too.
  if (pid === process.pid || pid === process.ppid) continue;
  const stat = read(`/proc/${pid}/stat`);
  if (!stat || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
  if (belongsToRun(pid)) left.push({ pid, command: read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim() });
}

if (left.length > 0) {
  console.error(`\n${left.length} process(es) of this test run still running after the tests ended (killed now):`);
  for (const { pid, command } of left) {
    console.error(`  ${pid}  ${command}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  process.exit(1);
}
