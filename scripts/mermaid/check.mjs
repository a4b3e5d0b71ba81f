// Parses every ```mermaid block of the given markdown files with the real
// Mermaid parser (under jsdom, since Mermaid expects a browser), and for
// gantt charts also has Mermaid compute every task's dates, which its
// parser alone leaves to rendering. Exit 1 on the first invalid block.
import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let blocks = 0, bad = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const re = /```mermaid\n([\s\S]*?)```/g;
  let m;
  while ((m = re.exec(text))) {
    blocks++;
    try {
      await mermaid.parse(m[1]);
      const diagram = await mermaid.mermaidAPI.getDiagramFromText(m[1]);
      if (diagram.type === 'gantt') {
        const tasks = diagram.db.getTasks();
        for (const t of tasks) {
          if (!(t.startTime instanceof Date) || isNaN(t.startTime) || !(t.endTime instanceof Date) || isNaN(t.endTime) || t.endTime < t.startTime) {
            throw new Error(`gantt task "${t.task}" has no valid dates`);
          }
        }
        if (tasks.length === 0) throw new Error('gantt chart without tasks');
      }
    } catch (e) {
      bad++;
      console.log(`${file}: mermaid block ${blocks}: ${String(e.message || e).split('\n').slice(0, 4).join(' | ')}`);
    }
  }
}
console.log(`${blocks} mermaid blocks, ${bad} invalid`);
process.exit(bad ? 1 : 0);
