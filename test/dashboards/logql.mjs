// Parses LogQL queries with Grafana's own LogQL grammar (@grafana/lezer-logql,
// the parser of Grafana's Loki query editor) and describes what each query
// names, for the Go test (logql_test.go) to check against what frontdoor's
// Loki writer really sends.
//
//   node logql.mjs < queries.json > facts.json
//
// Input: [{"name": "...", "expr": "..."}]. Output, one object per query:
//   errors     syntax errors: [{at, text}] (offset into expr, the text there)
//   metric     true for a metric query, false for a log query
//   pipelines  one per log selector: {selector: [label names], stages: [...]}
//   groupings  [{labels, without, pipelines: [indexes], under}] where under
//              lists the aggregations around the grouping (topk, sum, ...)
// A stage is one of
//   {kind: "json"|"logfmt", params: [{label, path}]}   (path null: bare name;
//                                                      no params: every field)
//   {kind: "regexp"|"pattern"|"unpack", defines: [...]}
//   {kind: "filter", labels: [...]}
//   {kind: "label_format", defines: [...], refs: [...]}
//   {kind: "line_format", refs: [...]}
//   {kind: "drop"|"keep", labels: [...]}
//   {kind: "unwrap", labels: [name]}
import fs from 'node:fs';
import { parser } from '@grafana/lezer-logql';

const input = JSON.parse(fs.readFileSync(0, 'utf8'));

function text(q, n) {
  return q.slice(n.from, n.to);
}

// unquote decodes a LogQL string literal: "..." with Go escapes, or `...`.
function unquote(s) {
  if (s.startsWith('`')) {
    return s.slice(1, -1);
  }
  try {
    return JSON.parse(s);
  } catch {
    return s.slice(1, -1);
  }
}

function children(n) {
  const out = [];
  for (let c = n.firstChild; c; c = c.nextSibling) {
    out.push(c);
  }
  return out;
}

function find(n, name) {
  const out = [];
  const walk = (m) => {
    for (const c of children(m)) {
      if (c.name === name) {
        out.push(c);
      } else {
        walk(c);
      }
    }
  };
  walk(n);
  return out;
}

// Template references: {{ .status }}, {{ trunc 1 .status }}, {{ .request_uri | lower }}.
function templateRefs(s) {
  const refs = [];
  for (const block of s.match(/\{\{[\s\S]*?\}\}/g) ?? []) {
    for (const m of block.matchAll(/(?<![\w)\]])\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      refs.push(m[1]);
    }
  }
  return refs;
}

function stage(q, n) {
  const [c] = children(n).filter((x) => x.name !== 'Pipe');
  if (!c) {
    return null;
  }
  const identifiers = (m) => find(m, 'Identifier').map((x) => text(q, x));
  switch (c.name) {
    case 'JsonExpressionParser':
    case 'LogfmtExpressionParser': {
      const params = find(c, 'LabelExtractionExpression').map((e) => {
        const id = find(e, 'Identifier')[0];
        const str = find(e, 'String')[0];
        return { label: text(q, id), path: str ? unquote(text(q, str)) : null };
      });
      return { kind: c.name.startsWith('Json') ? 'json' : 'logfmt', params };
    }
    case 'LogfmtParser':
      return { kind: 'logfmt', params: [] };
    case 'LabelParser': {
      const op = children(c)[0];
      const str = find(c, 'String')[0];
      const arg = str ? unquote(text(q, str)) : '';
      switch (op?.name) {
        case 'Json':
          return { kind: 'json', params: [] };
        case 'Logfmt':
          return { kind: 'logfmt', params: [] };
        case 'Regexp':
          return { kind: 'regexp', defines: [...arg.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]) };
        case 'Pattern':
          return { kind: 'pattern', defines: [...arg.matchAll(/<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]) };
        default:
          return { kind: 'unpack', defines: [] };
      }
    }
    case 'LabelFilter':
      return { kind: 'filter', labels: identifiers(c) };
    case 'LabelFormatExpr': {
      const defines = [];
      const refs = [];
      for (const m of find(c, 'LabelFormatMatcher')) {
        const ids = find(m, 'Identifier');
        defines.push(text(q, ids[0]));
        if (ids[1]) {
          refs.push(text(q, ids[1])); // rename: dst=src
        }
        for (const s of find(m, 'String')) {
          refs.push(...templateRefs(unquote(text(q, s))));
        }
      }
      return { kind: 'label_format', defines, refs };
    }
    case 'LineFormatExpr': {
      const s = find(c, 'String')[0];
      return { kind: 'line_format', refs: s ? templateRefs(unquote(text(q, s))) : [] };
    }
    case 'DropLabelsExpr':
      return { kind: 'drop', labels: identifiers(c) };
    case 'KeepLabelsExpr':
      return { kind: 'keep', labels: identifiers(c) };
    default:
      return null; // line filters, decolorize: they name no label
  }
}

function pipelineStages(q, n) {
  const stages = [];
  const walk = (m) => {
    for (const c of children(m)) {
      if (c.name === 'PipelineStage') {
        const s = stage(q, c);
        if (s) {
          stages.push(s);
        }
      } else if (c.name === 'UnwrapExpr') {
        stages.push({ kind: 'unwrap', labels: find(c, 'Identifier').map((x) => text(q, x)) });
      } else if (c.name !== 'Selector' && c.name !== 'Grouping') {
        walk(c);
      }
    }
  };
  walk(n);
  return stages;
}

function describe(q) {
  const tree = parser.parse(q);
  const errors = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) {
        errors.push({ at: n.from, text: q.slice(Math.max(0, n.from - 20), n.from + 20) });
      }
    },
  });
  const top = tree.topNode;
  const metric = find(top, 'MetricExpr').length > 0;

  // Each LogRangeExpr (metric queries) or LogExpr (log queries) is one
  // pipeline: a selector and its stages.
  const pipelines = [];
  const nodes = [];
  for (const name of ['LogRangeExpr', 'LogExpr']) {
    for (const n of find(top, name)) {
      const sel = find(n, 'Selector')[0];
      pipelines.push({
        selector: sel ? find(sel, 'Matcher').map((m) => text(q, find(m, 'Identifier')[0])) : [],
        stages: pipelineStages(q, n),
      });
      nodes.push(n);
    }
  }

  const groupings = [];
  for (const g of find(top, 'Grouping')) {
    const labels = find(g, 'Identifier').map((x) => text(q, x));
    const without = children(g).some((c) => c.name === 'Without');
    // The pipelines the grouping applies to: those inside the expression
    // that owns it (a vector or range aggregation).
    const owner = g.parent;
    const inside = nodes
      .map((n, i) => (n.from >= owner.from && n.to <= owner.to ? i : -1))
      .filter((i) => i >= 0);
    const under = [];
    for (let p = owner; p; p = p.parent) {
      if (p.name === 'VectorAggregationExpr' || p.name === 'RangeAggregationExpr') {
        const op = find(p, 'VectorOp')[0] ?? find(p, 'RangeOp')[0];
        if (op) {
          under.push(text(q, op));
        }
      }
    }
    groupings.push({ labels, without, pipelines: inside, under });
  }
  return { errors, metric, pipelines, groupings };
}

const out = input.map(({ name, expr }) => ({ name, ...describe(expr) }));
process.stdout.write(JSON.stringify(out));
