package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// The dashboards' LogQL is checked without a Loki: every query must parse
// with Grafana's own LogQL grammar (@grafana/lezer-logql, through
// logql.mjs), and every stream label, structured-metadata key and JSON
// field it names must be one that frontdoor's Loki writer really sends,
// as captured from a real frontdoor run (proof_test.go).

// logqlQuery is one LogQL query of a dashboard, variables substituted.
type logqlQuery struct {
	Name string `json:"name"` // dashboard / panel [refId]
	Expr string `json:"expr"`
}

// logqlFacts is what logql.mjs reports about a query.
type logqlFacts struct {
	Name   string `json:"name"`
	Errors []struct {
		At   int    `json:"at"`
		Text string `json:"text"`
	} `json:"errors"`
	Metric    bool `json:"metric"`
	Pipelines []struct {
		Selector []string     `json:"selector"`
		Stages   []logqlStage `json:"stages"`
	} `json:"pipelines"`
	Groupings []struct {
		Labels    []string `json:"labels"`
		Without   bool     `json:"without"`
		Pipelines []int    `json:"pipelines"`
		Under     []string `json:"under"`
	} `json:"groupings"`
}

type logqlStage struct {
	Kind   string `json:"kind"`
	Params []struct {
		Label string  `json:"label"`
		Path  *string `json:"path"`
	} `json:"params"`
	Labels  []string `json:"labels"`
	Defines []string `json:"defines"`
	Refs    []string `json:"refs"`
}

// logqlVars are the values Grafana's variables and macros take in the
// checked queries (they must make valid LogQL, as Grafana's would).
var logqlVars = map[string]string{
	"site": ".+", "country": ".*", "instance": ".+", "trace_id": "0af7651916cd43dd8448eb211c80319c",
	"slow_seconds": "1", "__auto": "1m", "__interval": "15s", "__rate_interval": "1m", "__range": "1h",
}

// dashboardLogQL lists every LogQL query of the dashboards: panel targets
// and query variables (their stream selector).
func dashboardLogQL(t *testing.T, dashboards []*dashboard) []logqlQuery {
	t.Helper()
	var out []logqlQuery
	for _, d := range dashboards {
		for _, p := range d.queryPanels() {
			if p.Datasource.Type != "loki" {
				continue
			}
			for _, tg := range p.Targets {
				expr, err := substitute(tg.Expr, logqlVars)
				if err != nil {
					t.Errorf("%s / %s [%s]: %v", d.Title, p.Title, tg.RefID, err)
					continue
				}
				out = append(out, logqlQuery{Name: fmt.Sprintf("%s / %s [%s]", d.Title, p.Title, tg.RefID), Expr: expr})
			}
		}
		for _, v := range d.lokiVariables() {
			expr, err := substitute(v.Stream, logqlVars)
			if err != nil {
				t.Errorf("%s / variable %s: %v", d.Title, v.Name, err)
				continue
			}
			out = append(out, logqlQuery{Name: fmt.Sprintf("%s / variable %s", d.Title, v.Name), Expr: expr})
			if v.Label != "" {
				// label_values(site): the label must be a stream label.
				out = append(out, logqlQuery{Name: fmt.Sprintf("%s / variable %s (label)", d.Title, v.Name),
					Expr: fmt.Sprintf(`sum by (%s) (count_over_time(%s [1m]))`, v.Label, expr)})
			}
		}
	}
	return out
}

// parseLogQL runs logql.mjs on the queries.
func parseLogQL(t *testing.T, queries []logqlQuery) []logqlFacts {
	t.Helper()
	node := harness.LookPath(t, "node")
	dir := filepath.Join(harness.RepoRoot(t), "test", "dashboards")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@grafana", "lezer-logql", "package.json")); err != nil {
		harness.Missing(t, "@grafana/lezer-logql is not installed in test/dashboards (npm ci)")
	}
	in, err := json.Marshal(queries)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "logql.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node logql.mjs: %v\n%s", err, stderr.String())
	}
	var facts []logqlFacts
	if err := json.Unmarshal(out, &facts); err != nil {
		t.Fatalf("logql.mjs output: %v", err)
	}
	if len(facts) != len(queries) {
		t.Fatalf("logql.mjs described %d of %d queries", len(facts), len(queries))
	}
	return facts
}

// syntaxProblems lists the queries Grafana's grammar rejects.
func syntaxProblems(queries []logqlQuery, facts []logqlFacts) []string {
	var out []string
	for i, f := range facts {
		for _, e := range f.Errors {
			out = append(out, fmt.Sprintf("%s: LogQL syntax error at offset %d (near %q)\n  query: %s", f.Name, e.At, e.Text, queries[i].Expr))
		}
	}
	return out
}

// TestLogQLSyntax parses every LogQL query of the dashboards with
// Grafana's LogQL grammar.
func TestLogQLSyntax(t *testing.T) {
	queries := dashboardLogQL(t, loadDashboards(t))
	if len(queries) == 0 {
		t.Fatal("the dashboards have no LogQL queries")
	}
	facts := parseLogQL(t, queries)
	for _, p := range syntaxProblems(queries, facts) {
		t.Error(p)
	}
	t.Logf("%d LogQL queries parsed by @grafana/lezer-logql", len(queries))

	// The check itself: the grammar's errors are seen.
	broken := []logqlQuery{
		{Name: "missing brace", Expr: `sum(rate({job="frontdoor" | json [1m]))`},
		{Name: "unknown function", Expr: `sum(rates({job="frontdoor"} [1m]))`},
		{Name: "json path not a string", Expr: `{job="frontdoor"} | json uri=request.uri`},
	}
	if got := syntaxProblems(broken, parseLogQL(t, broken)); len(got) < len(broken) {
		t.Fatalf("the syntax check found %d problems in %d broken queries: %v", len(got), len(broken), got)
	}
}

// vocabulary is what frontdoor's Loki writer was seen to send.
type vocabulary struct {
	streamLabels map[string]bool
	metadata     map[string]bool
	lines        []map[string]any // the JSON log lines
	flat         map[string]string
}

func newVocabulary() *vocabulary {
	return &vocabulary{streamLabels: map[string]bool{}, metadata: map[string]bool{}, flat: map[string]string{}}
}

// addLine records one pushed line: its JSON fields, and the names Loki's
// `| json` without parameters gives them (nested keys joined with _).
func (v *vocabulary) addLine(line string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return fmt.Errorf("line %.100q is not JSON: %v", line, err)
	}
	v.lines = append(v.lines, m)
	var walk func(prefix, path string, x any)
	walk = func(prefix, path string, x any) {
		obj, ok := x.(map[string]any)
		if !ok {
			v.flat[prefix] = path
			return
		}
		for k, val := range obj {
			name := sanitizeLabel(k)
			p := k
			if prefix != "" {
				name = prefix + "_" + name
				p = path + "." + k
			}
			walk(name, p, val)
		}
	}
	walk("", "", m)
	return nil
}

var labelChar = regexp.MustCompile(`[^A-Za-z0-9_]`)

func sanitizeLabel(s string) string { return labelChar.ReplaceAllString(s, "_") }

// lookup resolves a Loki JSON expression (request.uri, request.headers["User-Agent"][0])
// in the captured lines, and returns the field's dotted path.
func (v *vocabulary) lookup(expr string) (string, bool) {
	parts, ok := splitJSONPath(expr)
	if !ok {
		return "", false
	}
	var names []string
	for _, p := range parts {
		if _, isIndex := p.(int); !isIndex {
			names = append(names, p.(string))
		}
	}
	for _, line := range v.lines {
		var cur any = line
		found := true
		for _, p := range parts {
			switch k := p.(type) {
			case string:
				m, ok := cur.(map[string]any)
				if !ok {
					found = false
					break
				}
				if cur, ok = m[k]; !ok {
					found = false
				}
			case int:
				a, ok := cur.([]any)
				if !ok || k >= len(a) {
					found = false
					break
				}
				cur = a[k]
			}
			if !found {
				break
			}
		}
		if found {
			return strings.Join(names, "."), true
		}
	}
	return "", false
}

// splitJSONPath splits a.b["c"][0] into "a", "b", "c", 0.
func splitJSONPath(expr string) ([]any, bool) {
	var parts []any
	for rest := expr; rest != ""; {
		switch {
		case rest[0] == '.':
			rest = rest[1:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			inner := rest[1:end]
			if s, err := strconv.Unquote(inner); err == nil {
				parts = append(parts, s)
			} else if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				parts = append(parts, n)
			} else {
				return nil, false
			}
			rest = rest[end+1:]
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			parts = append(parts, rest[:end])
			rest = rest[end:]
		}
	}
	return parts, len(parts) > 0
}

// perRequest reports whether a field identifies or measures one request:
// a metric grouped by it builds one series per request, which Loki refuses
// past max_query_series (500 by default) under ordinary traffic.
func perRequest(source string) bool {
	switch source {
	case "metadata.trace_id", "trace_id", "ts", "duration", "size", "bytes_read", "request.uri", "request.remote_port":
		return true
	}
	return strings.HasPrefix(source, "request.headers.") || strings.HasPrefix(source, "resp_headers.")
}

// nameProblems checks the names a query uses against the vocabulary.
func nameProblems(f logqlFacts, v *vocabulary) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, f.Name+": "+fmt.Sprintf(format, args...)) }
	final := make([]map[string]string, len(f.Pipelines)) // label -> source
	for i, p := range f.Pipelines {
		avail := map[string]string{"__error__": "", "__error_details__": ""}
		for l := range v.streamLabels {
			avail[l] = "stream." + l
		}
		for k := range v.metadata {
			avail[k] = "metadata." + k
		}
		for _, l := range p.Selector {
			if !v.streamLabels[l] {
				bad("stream selector uses label %q, which the writer never sends (it sends %s)", l, keys(v.streamLabels))
			}
		}
		use := func(what, l string) {
			if _, ok := avail[l]; !ok {
				bad("%s %q is neither a stream label, structured metadata nor a field extracted before it", what, l)
			}
		}
		for _, s := range p.Stages {
			switch s.Kind {
			case "json":
				if len(s.Params) == 0 {
					for name, path := range v.flat {
						avail[name] = path
					}
				}
				for _, prm := range s.Params {
					expr := prm.Label
					if prm.Path != nil {
						expr = *prm.Path
					}
					path, ok := v.lookup(expr)
					if !ok {
						bad("| json %s: the field %q is in no line the writer sent", prm.Label, expr)
					}
					avail[prm.Label] = path
				}
			case "logfmt":
				bad("| logfmt: frontdoor's access-log lines are JSON")
			case "regexp", "pattern", "unpack":
				for _, d := range s.Defines {
					avail[d] = "extracted." + d
				}
			case "filter", "unwrap":
				for _, l := range s.Labels {
					use("label filter", l)
				}
			case "line_format":
				for _, r := range s.Refs {
					use("line_format reference", r)
				}
			case "label_format":
				source := ""
				for _, r := range s.Refs {
					use("label_format reference", r)
					if perRequest(avail[r]) {
						source = avail[r]
					}
				}
				for _, d := range s.Defines {
					avail[d] = source
				}
			case "keep":
				for l := range avail {
					if !slices.Contains(s.Labels, l) {
						delete(avail, l)
					}
				}
			case "drop":
				for _, l := range s.Labels {
					delete(avail, l)
				}
			}
		}
		final[i] = avail
	}
	for _, g := range f.Groupings {
		if g.Without {
			continue
		}
		for _, l := range g.Labels {
			found, source := false, ""
			for _, i := range g.Pipelines {
				if src, ok := final[i][l]; ok {
					found, source = true, src
				}
			}
			if !found && len(g.Pipelines) > 0 {
				bad("grouped by %q, which no pipeline under it provides", l)
			}
			if perRequest(source) || perRequest(l) {
				bad("metric grouped by %q (%s), a per-request value: one series per request, refused past Loki's max_query_series; use a log query", l, source)
			}
		}
	}
	return out
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// checkLogQLNames runs the name check on every dashboard LogQL query, and
// on deliberate mistakes, which it must reject.
func checkLogQLNames(t *testing.T, dashboards []*dashboard, v *vocabulary) {
	t.Helper()
	if len(v.streamLabels) == 0 || len(v.lines) == 0 {
		t.Fatalf("nothing captured from the writer: %d stream labels, %d lines", len(v.streamLabels), len(v.lines))
	}
	t.Logf("the writer sent stream labels %s; structured metadata %s; %d lines with %d distinct JSON fields",
		keys(v.streamLabels), keys(v.metadata), len(v.lines), len(v.flat))
	queries := dashboardLogQL(t, dashboards)
	facts := parseLogQL(t, queries)
	for i, f := range facts {
		if len(f.Errors) > 0 {
			continue // reported by TestLogQLSyntax
		}
		for _, p := range nameProblems(f, v) {
			t.Errorf("%s\n  query: %s", p, queries[i].Expr)
		}
	}

	mistakes := []logqlQuery{
		{Name: "misspelt field", Expr: `sum(rate({job="frontdoor"} | json stauts | stauts >= 500 [1m]))`},
		{Name: "unknown JSON path", Expr: `{job="frontdoor"} | json method="request.methd"`},
		{Name: "label never sent", Expr: `sum by (env) (rate({job="frontdoor", env="prod"} [1m]))`},
		{Name: "filter before its parser", Expr: `{job="frontdoor"} | status >= 500 | json status`},
		{Name: "grouped by trace", Expr: `sum by (trace_id) (count_over_time({job="frontdoor"} [1m]))`},
		{Name: "grouped by uri", Expr: `topk(10, max by (uri) (max_over_time({job="frontdoor"} | json uri="request.uri", duration | unwrap duration [1m])))`},
	}
	mf := parseLogQL(t, mistakes)
	for i, f := range mf {
		if len(f.Errors) > 0 {
			t.Errorf("mistake %q does not even parse: %v", f.Name, f.Errors)
			continue
		}
		if p := nameProblems(f, v); len(p) == 0 {
			t.Errorf("the name check accepts %q: %s", f.Name, mistakes[i].Expr)
		}
	}
}

// lokiVariable is a query variable on a Loki data source: Grafana lists
// the values of Label in the streams Stream selects.
type lokiVariable struct {
	Name   string
	Label  string `json:"label"`
	Stream string `json:"stream"`
}

func (d *dashboard) lokiVariables() []lokiVariable {
	var out []lokiVariable
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q lokiVariable
		if json.Unmarshal(v.Query, &q) != nil || q.Stream == "" {
			continue
		}
		q.Name = v.Name
		out = append(out, q)
	}
	return out
}
