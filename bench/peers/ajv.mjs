// ajv.mjs times Node + ajv on the bytes Intyg's intake takes: JSON.parse and
// validation against the same JSON Schema (draft 2020-12, allErrors,
// formats, and the two formats of Intyg's own). It is run by
// `go run ./bench/peers`, which passes the schema and one file per document
// and reads one JSON line of results per document from stdout.
//
//	node ajv.mjs SCHEMA.json NAME=DOC.json... [-rounds N] [-mintime MS]
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const args = process.argv.slice(2);
let rounds = 5;
let minTimeMs = 1000;
const docs = [];
let schemaPath;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "-rounds") rounds = Number(args[++i]);
  else if (args[i] === "-mintime") minTimeMs = Number(args[++i]);
  else if (!schemaPath) schemaPath = args[i];
  else {
    const eq = args[i].indexOf("=");
    docs.push({ name: args[i].slice(0, eq), path: args[i].slice(eq + 1) });
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// Intyg's custom formats (intake/schema.go), so that ajv checks as much.
const hsaID = /^[A-Z0-9]{2,14}[0-9]{10}-[A-Z0-9]{1,31}$/;
ajv.addFormat("hsa-id", { type: "string", validate: (s) => hsaID.test(s.toUpperCase()) });
ajv.addFormat("se-postal-code", /^[0-9]{3} ?[0-9]{2}$/);
// Intyg's schema library ignores this format too: intake checks the
// identity number (and its checksum) in Go, after the schema.
ajv.addFormat("se-personal-id", () => true);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

for (const d of docs) {
  // The bytes as a string, as an HTTP server would have them.
  const text = readFileSync(d.path, "utf8");
  const once = () => {
    const doc = JSON.parse(text);
    if (!validate(doc)) throw new Error(`${d.name}: ${JSON.stringify(validate.errors)}`);
  };
  // Warm up, so that the JIT has compiled the validator.
  const warm = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - warm) < 500e6) once();
  const perOp = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minTimeMs * 1e6) {
      for (let i = 0; i < 100; i++) once();
      n += 100;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    perOp.push(elapsed / n);
  }
  console.log(JSON.stringify({ name: d.name, nsPerOp: perOp }));
}
