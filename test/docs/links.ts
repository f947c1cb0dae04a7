/**
 * Links and file references in the repository's prose: Markdown links, relative paths and
 * `.md` names in README.md, docs/, runbooks/ and the comments of the sources. A reference must
 * stay inside the repository and name a file that exists, so a clone has everything it points to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A reference found in a file. */
export interface Reference {
  /** The file holding the reference, relative to the root. */
  readonly file: string;
  readonly line: number;
  /** The reference as written. */
  readonly text: string;
  readonly kind: 'markdown-link' | 'relative-path' | 'doc-name';
}

/** A reference that leaves the repository or names a missing file, and why. */
export interface BrokenReference extends Reference {
  readonly problem: string;
}

/** A text to check: its path relative to the root and its content. */
export interface TextFile {
  readonly path: string;
  readonly text: string;
}

const MARKDOWN_LINK = /\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const RELATIVE_PATH = /(?<![\w/.$-])(\.\.?\/[\w@.~/-]*[\w@~/-])/g;
const DOC_NAME = /(?<![\w.-])((?:[\w.-]+\/)*[\w-]+\.md)\b/g;

/** The parts of a file that are prose: comments of code, everything of Markdown and YAML comments. */
export function proseOf(file: TextFile): { text: string; offset: number }[] {
  if (file.path.endsWith('.md')) return [{ text: file.text, offset: 0 }];
  if (/\.ya?ml$/.test(file.path)) {
    const out: { text: string; offset: number }[] = [];
    for (const match of file.text.matchAll(/#[^\n]*/g)) out.push({ text: match[0], offset: match.index });
    return out;
  }
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const seen = new Set<number>();
  const out: { text: string; offset: number }[] = [];
  const collect = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.add(range.pos);
      out.push({ text: file.text.slice(range.pos, range.end), offset: range.pos });
    }
  };
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(file.text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(file.text, node.getEnd()));
    ts.forEachChild(node, visit);
  };
  visit(source);
  collect(ts.getLeadingCommentRanges(file.text, source.endOfFileToken.getFullStart()));
  return out;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Blanks (keeping offsets) what is not a link: fenced code examples and URLs. */
function withoutCodeAndUrls(text: string): string {
  const blank = (m: string): string => m.replace(/[^\n]/g, ' ');
  return text.replace(/```[\s\S]*?(```|$)/g, blank).replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)>\]]*/gi, blank);
}

/** Every reference in a file's prose; code examples and URLs are not references. */
export function referencesOf(file: TextFile): Reference[] {
  const out: Reference[] = [];
  const seen = new Set<string>();
  for (const raw of proseOf(file)) {
    const prose = { text: withoutCodeAndUrls(raw.text), offset: raw.offset };
    const add = (kind: Reference['kind'], text: string, index: number): void => {
      // A Markdown link's target is also a relative path: report it once.
      const line = lineAt(file.text, prose.offset + index);
      if (seen.has(`${line}:${text}`)) return;
      seen.add(`${line}:${text}`);
      out.push({ file: file.path, line, text, kind });
    };
    if (file.path.endsWith('.md')) {
      for (const m of prose.text.matchAll(MARKDOWN_LINK)) add('markdown-link', m[1] as string, m.index);
      prose.text = prose.text.replace(MARKDOWN_LINK, (m) => ' '.repeat(m.length));
    }
    for (const m of prose.text.matchAll(RELATIVE_PATH)) add('relative-path', m[1] as string, m.index);
    for (const m of prose.text.matchAll(DOC_NAME)) {
      if (!(m[1] as string).startsWith('.')) add('doc-name', m[1] as string, m.index);
    }
  }
  return out;
}

/** Checks references against the files under `root`; `exists` answers for paths relative to it. */
export function brokenReferences(
  references: readonly Reference[],
  exists: (relative: string) => boolean,
  docNames: ReadonlySet<string>,
): BrokenReference[] {
  const broken: BrokenReference[] = [];
  for (const ref of references) {
    const dir = path.posix.dirname(ref.file);
    if (ref.kind === 'doc-name') {
      const found = ref.text.includes('/')
        ? exists(path.posix.normalize(ref.text)) || exists(path.posix.join(dir, ref.text))
        : docNames.has(ref.text);
      if (!found) broken.push({ ...ref, problem: 'no such document in the repository' });
      continue;
    }
    if (ref.kind === 'markdown-link' && (/^[a-z][a-z0-9+.-]*:/i.test(ref.text) || ref.text.startsWith('#')))
      continue;
    const target = path.posix.normalize(path.posix.join(dir, ref.text.replace(/[#?].*$/, '')));
    if (target === '..' || target.startsWith('../'))
      broken.push({ ...ref, problem: 'leaves the repository' });
    else if (!exists(target)) broken.push({ ...ref, problem: `${target} does not exist` });
  }
  return broken;
}

/** The files whose prose is checked, relative to `root`. */
export function proseFiles(root: string): TextFile[] {
  const out: TextFile[] = [];
  const add = (relative: string): void => {
    out.push({ path: relative, text: readFileSync(path.join(root, relative), 'utf8') });
  };
  if (existsSync(path.join(root, 'README.md'))) add('README.md');
  for (const dir of ['docs', 'runbooks', 'lib', 'lambdas', 'bin', 'bench', 'scripts', 'test', 'types']) {
    if (!existsSync(path.join(root, dir))) continue;
    for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(md|ya?ml|ts|mjs)$/.test(entry.name)) continue;
      const relative = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
      if (relative.startsWith('test/fixtures/') || relative.startsWith('bench/tmp/')) continue;
      out.push({ path: relative, text: readFileSync(path.join(root, relative), 'utf8') });
    }
  }
  return out;
}
