// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the patched source holds template literals as text
// Makes aws-local-stepfunctions 3.0.0 evaluate intrinsic functions as AWS Step Functions does,
// so a local run gives the same strings as a run on AWS (docs/compiler.md, "Local engine").
// Runs from `postinstall`; idempotent; fails loudly on any other version or any unexpected
// source, so an upgrade cannot silently drop the fix.
//
// What 3.0.0 gets wrong, and what this changes in its two Node builds:
// 1. Every intrinsic's string result loses every backslash (`result.replaceAll("\\", "")`), the
//    engine's way to undo the escapes of string literals. AWS never touches a result: a value
//    holding `\` (from the state, or from States.Base64Decode) keeps it. Fixed by unescaping the
//    literal arguments instead (`\'`, `\{`, `\}`, `\\`), and leaving results alone.
// 2. States.Format counts `{}` and substitutes with a regex over the raw template, so it only
//    works because of (1). It now reads its template literal itself: `\x` is the character x,
//    `{}` the next argument.
// 3. States.Base64Encode/Decode use btoa/atob, which work on Latin-1: a non-ASCII character is
//    refused or decoded as mojibake. AWS encodes and decodes UTF-8.
// 4. The context object has no `State` (`$$.State.Name`, `EnteredTime`, `RetryCount`), so a
//    path such as `$$.State.RetryCount` fails. Each state's try now sets it before the state's
//    input is processed: RetryCount counts the retries of this entry of the state, as on AWS.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PINNED = '3.0.0';
const MARKER = '/* ecs-runbooks: patched by scripts/patch-aws-local-stepfunctions.mjs (v1) */\n';
const FILES = ['build/main.node.cjs', 'build/main.node.esm.js'];

const REPLACEMENTS = [
  {
    what: 'literal arguments are unescaped',
    from: '      return arg.slice(1, lastSingleQuote);\n',
    to: '      return arg.slice(1, lastSingleQuote).replace(/\\\\([\\s\\S])/g, "$1");\n',
  },
  {
    what: 'results keep their backslashes',
    from: [
      '    let result = this.execute(...parsedArgs);',
      '    if (typeof result === "string") {',
      '      result = result.replaceAll("\\\\", "");',
      '    }',
      '    return result;',
      '',
    ].join('\n'),
    to: '    return this.execute(...parsedArgs);\n',
  },
  {
    what: 'States.Format reads escapes in its template',
    from: [
      '  execute(templateStr, ...placeholderValues) {',
      '    const placeholdersNumber = templateStr.match(/\\{\\}/g)?.length ?? 0;',
      '    if (placeholdersNumber !== placeholderValues.length) {',
      '      throw new StatesRuntimeError(',
      '        `Number of arguments in ${this.funcDefinition.name} do not match the occurrences of {}`',
      '      );',
      '    }',
      '    let i = 0;',
      '    return templateStr.replace(/\\{\\}/g, () => placeholderValues[i++]);',
      '  }',
      '',
    ].join('\n'),
    to: [
      '  call(input, context, template, ...args) {',
      '    const literal = typeof template === "string" && template[0] === "\'";',
      '    const raw = literal ? template.slice(1, template.lastIndexOf("\'")) : void 0;',
      '    const parsedArgs = parseArguments(input, context, template, ...args);',
      '    validateArguments(this.funcDefinition, ...parsedArgs);',
      '    const [templateStr, ...placeholderValues] = parsedArgs;',
      '    return this.execute(raw ?? templateStr, literal, ...placeholderValues);',
      '  }',
      '  execute(templateStr, escaped, ...placeholderValues) {',
      '    let out = "";',
      '    let used = 0;',
      '    for (let k = 0; k < templateStr.length; k++) {',
      '      const c = templateStr[k];',
      '      if (escaped && c === "\\\\" && k + 1 < templateStr.length) {',
      '        out += templateStr[++k];',
      '      } else if (c === "{" && templateStr[k + 1] === "}") {',
      '        if (used < placeholderValues.length) out += String(placeholderValues[used]);',
      '        used++;',
      '        k++;',
      '      } else {',
      '        out += c;',
      '      }',
      '    }',
      '    if (used !== placeholderValues.length) {',
      '      throw new StatesRuntimeError(',
      '        `Number of arguments in ${this.funcDefinition.name} do not match the occurrences of {}`',
      '      );',
      '    }',
      '    return out;',
      '  }',
      '',
    ].join('\n'),
  },
  {
    what: 'the context object has State',
    from: '      const processedInput = this.processInput(input, context);\n',
    to: [
      '      this.enteredTime ??= new Date().toISOString();',
      '      context["State"] = {',
      '        Name: this.stateName,',
      '        EnteredTime: this.enteredTime,',
      '        RetryCount: this.retrierAttempts.reduce((sum, n) => sum + n, 0)',
      '      };',
      '      const processedInput = this.processInput(input, context);',
      '',
    ].join('\n'),
  },
  {
    what: 'States.Base64Encode encodes UTF-8',
    from: '    return btoa(str);\n',
    to: '    return Buffer.from(str, "utf8").toString("base64");\n',
  },
  {
    what: 'States.Base64Decode decodes UTF-8',
    from: '    return atob(str);\n',
    to: '    return Buffer.from(str, "base64").toString("utf8");\n',
  },
];

function fail(message) {
  console.error(`patch-aws-local-stepfunctions: ${message}`);
  console.error(
    'Local runs would not match AWS. Pin aws-local-stepfunctions to 3.0.0 or update this script.',
  );
  process.exit(1);
}

// The package's exports map hides package.json from require.resolve: read it from disk.
const root = join(import.meta.dirname, '..', 'node_modules', 'aws-local-stepfunctions');
if (!existsSync(join(root, 'package.json'))) fail(`aws-local-stepfunctions is not installed in ${root}`);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (version !== PINNED) fail(`found version ${version}, but this patch is written for exactly ${PINNED}`);

for (const file of FILES) {
  const path = join(root, file);
  const source = readFileSync(path, 'utf8');
  const marked = source.startsWith(MARKER);
  let patched = marked ? source.slice(MARKER.length) : source;
  for (const { what, from, to } of REPLACEMENTS) {
    // A file patched before a change was added to this script gets that change alone.
    if (marked && patched.includes(to)) continue;
    const count = patched.split(from).length - 1;
    if (count !== 1) fail(`${file}: expected the code for "${what}" once, found it ${count} times`);
    patched = patched.replace(from, () => to);
  }
  writeFileSync(path, MARKER + patched);
}
