/** @file The AArch64 layer stays runtime-neutral: no Node, Deno or platform globals in src/emit-arm64. */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'emit-arm64');

t.test('src/emit-arm64 uses no runtime-specific API', async (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 8, `${files.length} files`);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    t.notMatch(code, /from ['"]node:|\brequire\(|\bprocess\.|\bBuffer\b|\bDeno\b|\bsetTimeout\b/, f);
    t.match(text, /^\/\*\*\s*\n?\s*\*?\s*@file /, `${f} starts with an @file comment`);
  }
});
