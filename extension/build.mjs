// Packages the extension for each browser from the one source tree:
//
//   node extension/build.mjs [--out DIR]      (default DIR: <repo>/dist)
//
// writes
//   DIR/chromium/            unpacked extension (chrome://extensions → Load unpacked)
//   DIR/credwell-chromium.zip
//   DIR/firefox/             unpacked extension (about:debugging → Load Temporary Add-on)
//   DIR/credwell-firefox.xpi  (a zip; sign it on addons.mozilla.org for a permanent install)
//
// extension/manifest.json itself loads in both browsers as it is; the packages only drop the
// keys the other browser does not know, so neither browser warns:
//   Chromium: no background.scripts, no browser_specific_settings.
//   Firefox:  no background.service_worker, no key, no minimum_chrome_version.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const SRC = dirname(fileURLToPath(import.meta.url));
// What goes into a package: the manifest and the sources, nothing else (no README, no build).
const INCLUDE = ['manifest.json', 'src'];

export function manifestFor(browser, manifest) {
  const m = structuredClone(manifest);
  if (browser === 'chromium') {
    delete m.browser_specific_settings;
    delete m.background.scripts;
  } else if (browser === 'firefox') {
    delete m.key;
    delete m.minimum_chrome_version;
    delete m.background.service_worker;
  } else {
    throw new Error(`unknown browser ${browser}`);
  }
  return m;
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}

// A zip archive (deflate, fixed timestamp, so the same sources give the same bytes).
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  const DOS_TIME = 0;
  const DOS_DATE = (1 << 5) | 1; // 1980-01-01
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, deflated);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + deflated.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Builds both packages into `out`; returns their paths. */
export function build(out = resolve(SRC, '..', 'dist')) {
  const manifest = JSON.parse(readFileSync(join(SRC, 'manifest.json'), 'utf8'));
  const result = {};
  for (const browser of ['chromium', 'firefox']) {
    const dir = join(out, browser);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const item of INCLUDE) {
      if (item !== 'manifest.json') cpSync(join(SRC, item), join(dir, item), { recursive: true });
    }
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifestFor(browser, manifest), null, 2)}\n`);
    const entries = files(dir).map((path) => ({ name: relative(dir, path).split(sep).join('/'), data: readFileSync(path) }));
    const archive = join(out, browser === 'firefox' ? 'credwell-firefox.xpi' : 'credwell-chromium.zip');
    writeFileSync(archive, zip(entries));
    result[browser] = { dir, archive };
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? resolve(process.argv[i + 1]) : undefined;
  const r = build(out);
  for (const [browser, { dir, archive }] of Object.entries(r)) console.log(`${browser}: ${dir}, ${archive}`);
}
