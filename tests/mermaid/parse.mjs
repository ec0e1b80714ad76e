// Mermaid's own parser over diagrams read from stdin (a JSON list of texts); prints a JSON list with,
// for each, null when it parses or the parser's first error line. Mermaid sanitizes labels with
// DOMPurify, which needs a DOM: jsdom gives it one (nothing is rendered).
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import("mermaid");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    await mermaid.parse(text);
    results.push(null);
  } catch (error) {
    results.push(String(error.message ?? error).split("\n").slice(0, 3).join(" / "));
  }
}
process.stdout.write(JSON.stringify(results));
