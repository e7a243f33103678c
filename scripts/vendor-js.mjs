// Copy the browser builds the console uses from node_modules into web/static/vendor, with their
// licences and a manifest of versions: `npm ci && npm run vendor`. The server serves the copies;
// Node is needed only to update them.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "web", "static", "vendor");
const files = {
  cytoscape: ["dist/cytoscape.min.js", "LICENSE"],
  "cytoscape-dagre": ["dist/cytoscape-dagre.min.js", "LICENSE"],
};

mkdirSync(target, { recursive: true });
const manifest = {};
for (const [name, paths] of Object.entries(files)) {
  const source = join(root, "node_modules", name);
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  manifest[name] = { version, files: [] };
  for (const path of paths) {
    const base = path.split("/").pop();
    const copied = base === "LICENSE" ? `${name}.LICENSE` : base;
    copyFileSync(join(source, path), join(target, copied));
    manifest[name].files.push(copied);
  }
}
writeFileSync(join(target, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`vendored ${Object.keys(manifest).join(", ")} into ${target}`);
