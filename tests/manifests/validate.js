#!/usr/bin/env node
// validate.js MODULES_DIR OBJECTS.json: every rendered Kubernetes object against the API
// schemas of the npm package kubernetes-models (types, required fields, enums, formats), plus
// a check for unknown fields, which those schemas allow (the API server would drop them
// silently, or reject them under --validate=strict).
//
// Unknown fields: the models' validators are ajv functions compiled from the OpenAPI schemas,
// and they read exactly the properties their schema names. The object is validated a second
// time through Proxies that record every property read; an object key the validator never
// read is a field the schema does not know. An object whose keys the validator enumerates
// (labels, annotations, ConfigMap data: additionalProperties) counts as a map, and an object
// it never looks into at all (a schema of "any") is skipped.
//
// Prints one TAP-style line per object: "ok - ..." or "not ok - ...: reasons".
"use strict";
const fs = require("fs");
const path = require("path");

const [modulesArg, objectsFile] = process.argv.slice(2);
const modulesDir = modulesArg && path.resolve(modulesArg);
if (!modulesDir || !objectsFile) {
  console.error("usage: validate.js NODE_MODULES_DIR OBJECTS.json");
  process.exit(2);
}

// apiVersion -> [package, folder]: core "v1" lives at kubernetes-models/v1.
function modulePath(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  const pkgs = group.startsWith("monitoring.coreos.com/")
    ? ["@kubernetes-models/prometheus-operator"]
    : ["kubernetes-models"];
  for (const pkg of pkgs) {
    const p = path.join(modulesDir, pkg, group, `${kind}.js`);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

// The compiled schema function behind a model class, named in the class file's require().
function schemaValidator(classFile) {
  const src = fs.readFileSync(classFile, "utf8");
  const m = src.match(/require\("((?:\.\.\/)+_schemas\/\w+\.js)"\)/);
  if (!m) return null;
  return require(path.resolve(path.dirname(classFile), m[1])).validate;
}

function tracked(root) {
  const reads = new WeakMap(); // target -> Set of keys read
  const maps = new WeakSet(); // targets whose keys were enumerated
  const proxies = new WeakMap();
  const wrap = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (proxies.has(v)) return proxies.get(v);
    const p = new Proxy(v, {
      get(t, k, r) {
        if (typeof k === "string") {
          if (!reads.has(t)) reads.set(t, new Set());
          reads.get(t).add(k);
        }
        return wrap(Reflect.get(t, k, r));
      },
      has(t, k) {
        if (typeof k === "string") {
          if (!reads.has(t)) reads.set(t, new Set());
          reads.get(t).add(k);
        }
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        maps.add(t);
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(v, p);
    return p;
  };
  return { proxy: wrap(root), reads, maps };
}

function unknownFields(obj, reads, maps, at, out) {
  if (obj === null || typeof obj !== "object") return;
  if (Array.isArray(obj)) {
    obj.forEach((v, i) => unknownFields(v, reads, maps, `${at}[${i}]`, out));
    return;
  }
  const seen = reads.get(obj);
  if (!seen && !maps.has(obj)) return; // never looked into: free-form
  for (const k of Object.keys(obj)) {
    const here = at ? `${at}.${k}` : k;
    if (!maps.has(obj) && !seen.has(k)) out.push(here);
    else unknownFields(obj[k], reads, maps, here, out);
  }
}

function fmtErrors(errors) {
  return (errors || [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || "/"} ${e.message || e.keyword} ${JSON.stringify(e.params || {})}`)
    .join("; ");
}

const objects = JSON.parse(fs.readFileSync(objectsFile, "utf8"));
let failed = 0;
for (const obj of objects) {
  const name = `${obj.kind}/${(obj.metadata || {}).name} (${obj.apiVersion})`;
  const file = modulePath(String(obj.apiVersion || ""), String(obj.kind || ""));
  const problems = [];
  if (!file) {
    problems.push("no schema for this apiVersion/kind in kubernetes-models");
  } else {
    const Model = Object.values(require(file)).find((c) => typeof c === "function" && c.kind === obj.kind);
    try {
      new Model(JSON.parse(JSON.stringify(obj))).validate();
    } catch (e) {
      problems.push(`schema: ${e.errors ? fmtErrors(e.errors) : e.message}`);
    }
    const validate = schemaValidator(file);
    if (!validate) {
      problems.push("cannot find the schema function for the unknown-field check");
    } else {
      const t = tracked(obj);
      const valid = validate(t.proxy);
      if (!valid && problems.length === 0) problems.push(`schema: ${fmtErrors(validate.errors)}`);
      const unknown = [];
      unknownFields(obj, t.reads, t.maps, "", unknown);
      if (unknown.length) problems.push(`unknown field(s): ${unknown.join(", ")}`);
    }
  }
  if (problems.length) {
    failed++;
    console.log(`not ok - schema: ${name}: ${problems.join(" | ")}`);
  } else {
    console.log(`ok - schema: ${name} validates, no unknown fields`);
  }
}
process.exit(failed ? 1 : 0);
