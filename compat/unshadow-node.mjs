// The node22/node24/node26 devDependencies (the `node` package under aliases) each declare a
// `node` bin, and npm links one of them as node_modules/.bin/node. npm puts that folder first on
// PATH for every script, so `npm test` would silently run on Node 22 instead of the Node that
// runs npm. Run before every build (`prebuild`, so by `npm test` and `npm run test:unit` too) rather
// than at install: the published package has no install-time script. Removes that link (and its
// Windows shims), nothing else.
import { existsSync, readlinkSync, rmSync } from 'node:fs';

const bin = 'node_modules/.bin';
let target = '';
try {
  target = readlinkSync(`${bin}/node`);
} catch {
  /* no link, or not a symlink */
}
if (/node2\d[\\/]bin/.test(target) || existsSync(`${bin}/node.cmd`)) {
  for (const name of ['node', 'node.cmd', 'node.ps1']) rmSync(`${bin}/${name}`, { force: true });
  // Not npm_node_execpath: the npm that runs this may itself have started on the shadowing Node.
  console.log(`removed ${bin}/node (${target || 'shim'}): \`node\` in npm scripts is the one on your PATH again`);
}
