// Bundles the chat front-end standalone for the server's own pages: the web chat page (chat.js),
// the read-only shared view (share.js) and their stylesheet (chat.css, with KaTeX's fonts), into
// g4f_jupyter/web/static/, with the licences of every package the bundles contain.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(HERE, '..', 'g4f_jupyter', 'web', 'static');
const LICENCES = 'THIRD-PARTY-LICENSES.txt';

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const result = await build({
  absWorkingDir: HERE,
  entryPoints: [
    { in: 'src/page/chat.ts', out: 'chat' },
    { in: 'src/page/share.ts', out: 'share' },
    { in: 'style/page.css', out: 'chat' }
  ],
  outdir: OUT,
  bundle: true,
  minify: true,
  // Classic scripts, each whole: a module script is fetched in CORS mode, which a JupyterHub
  // single-user server treats as an API call that must carry the XSRF token (it answers 302).
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  // Browsers take KaTeX's first font format, woff2; the older formats it names are never fetched.
  loader: { '.woff2': 'file' },
  external: ['*.woff', '*.ttf'],
  assetNames: 'fonts/[name]',
  legalComments: 'none',
  banner: { js: `/*! g4f-jupyter chat front-end; licences of the bundled packages: ${LICENCES} */` },
  metafile: true,
  logLevel: 'warning'
});

/** The package directory (under node_modules) of each bundled input file. */
function bundledPackages(inputs) {
  const roots = new Set();
  for (const file of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) {
      roots.add(resolve(HERE, match[1]));
    }
  }
  return [...roots].sort();
}

function licenceText(root) {
  const name = readdirSync(root).find(file => /^licen[cs]e(\.(md|txt))?$/i.test(file));
  return name ? readFileSync(join(root, name), 'utf-8').trim() : '';
}

const packages = bundledPackages(Object.keys(result.metafile.inputs));
const sections = packages.map(root => {
  const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf-8'));
  const text = licenceText(root);
  if (!text) {
    throw new Error(`${meta.name} is bundled but ships no licence file`);
  }
  return `${meta.name} ${meta.version} (${meta.license})\n${'='.repeat(60)}\n\n${text}\n`;
});
writeFileSync(
  join(OUT, LICENCES),
  'The g4f-jupyter page bundles (chat.js, share.js, chat.css, fonts/) contain these packages, unmodified:\n\n' +
    sections.join('\n\n')
);

for (const file of readdirSync(OUT, { recursive: true })) {
  const path = join(OUT, file);
  if (statSync(path).isFile() && !file.startsWith('fonts')) {
    console.log(`${relative(HERE, path)}  ${(statSync(path).size / 1024).toFixed(1)} KiB`);
  }
}
if (!existsSync(join(OUT, 'chat.js'))) {
  throw new Error('the page bundle was not written');
}
