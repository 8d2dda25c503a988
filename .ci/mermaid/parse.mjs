// Parses each file named on the command line with Mermaid's own parser (mermaid.parse, the grammar
// the renderer uses) and prints "<file>: <diagram type>" or "<file>: error: <message>"; exit 1 if any
// failed. Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom gives it one, and nothing
// is rendered or fetched.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const parsed = await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(`${file}: ${parsed.diagramType}`);
  } catch (error) {
    failed += 1;
    console.log(`${file}: error: ${String(error.message ?? error).split('\n').join(' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
