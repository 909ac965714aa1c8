// Package dashboards_test checks frontdoor's Grafana dashboards and the
// observability configs: the dashboards' structure and their types against
// Grafana's published schema, the Prometheus alert rules with promtool, the
// Grafana provisioning and compose files, and, with real Loki and Prometheus,
// that every panel query returns data after mixed traffic through frontdoor.
package dashboards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// The dashboards DESIGN.md names, by file.
var dashboardFiles = []string{"frontdoor-traffic.json", "frontdoor-trace.json", "frontdoor-health.json"}

type dashboard struct {
	file string
	raw  []byte

	ID            *int       `json:"id"`
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	SchemaVersion int        `json:"schemaVersion"`
	Panels        []panel    `json:"panels"`
	Templating    templating `json:"templating"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *dsRef          `json:"datasource"`
	AllValue   string          `json:"allValue"`
	IncludeAll bool            `json:"includeAll"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Datasource  *dsRef      `json:"datasource"`
	GridPos     gridPos     `json:"gridPos"`
	Targets     []target    `json:"targets"`
	Panels      []panel     `json:"panels"`
	FieldConfig fieldConfig `json:"fieldConfig"`
}

type fieldConfig struct {
	Defaults struct {
		Unit    string  `json:"unit"`
		NoValue *string `json:"noValue"`
	} `json:"defaults"`
}

type target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	QueryType  string `json:"queryType"` // Loki: range, instant
	Instant    bool   `json:"instant"`   // Prometheus
	Datasource *dsRef `json:"datasource"`
}

// instant reports whether Grafana runs the target as an instant query.
func (t target) instant() bool { return t.QueryType == "instant" || t.Instant }

func loadDashboard(t *testing.T, path string) *dashboard {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &dashboard{file: filepath.Base(path), raw: raw}
	if err := json.Unmarshal(raw, d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

func loadDashboards(t *testing.T) []*dashboard {
	t.Helper()
	dir := filepath.Join(harness.RepoRoot(t), "dashboards")
	var out []*dashboard
	for _, f := range dashboardFiles {
		out = append(out, loadDashboard(t, filepath.Join(dir, f)))
	}
	found, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(dashboardFiles) {
		t.Errorf("dashboards/ holds %d JSON files, want exactly %v (add new ones to dashboardFiles)", len(found), dashboardFiles)
	}
	return out
}

// flatPanels lists the dashboard's panels with the panels of collapsed rows,
// rows included.
func (d *dashboard) flatPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// queryPanels are the panels that query a data source (all but rows).
func (d *dashboard) queryPanels() []panel {
	var out []panel
	for _, p := range d.flatPanels() {
		if p.Type != "row" {
			out = append(out, p)
		}
	}
	return out
}

func (d *dashboard) variable(name string) *variable {
	for i := range d.Templating.List {
		if d.Templating.List[i].Name == name {
			return &d.Templating.List[i]
		}
	}
	return nil
}

// Grafana's built-in variables that may appear in queries.
var grafanaMacros = map[string]bool{
	"__auto": true, "__interval": true, "__interval_ms": true, "__rate_interval": true,
	"__range": true, "__range_s": true, "__range_ms": true,
}

var (
	varRefRe = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)
	dsVarRe  = regexp.MustCompile(`^\$\{([A-Za-z0-9_]+)\}$`)
	uidRe    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	// minSchemaVersion is Grafana 11's dashboard schema; the dashboards are
	// written at Grafana 13's 42.
	minSchemaVersion = 39
)

// checkDashboard returns every structural problem of d: what Grafana needs
// to load it and what makes it portable (data sources by variable only).
func checkDashboard(d *dashboard) []string {
	var errs []string
	add := func(format string, args ...any) {
		errs = append(errs, d.file+": "+fmt.Sprintf(format, args...))
	}
	if !uidRe.MatchString(d.UID) {
		add("uid %q: want 1-40 letters, digits, - or _", d.UID)
	}
	if strings.TrimSpace(d.Title) == "" {
		add("no title")
	}
	if d.SchemaVersion < minSchemaVersion {
		add("schemaVersion %d is older than %d", d.SchemaVersion, minSchemaVersion)
	}
	if d.ID != nil {
		add("id %d: must be null so the dashboard imports into any Grafana", *d.ID)
	}

	vars := map[string]*variable{}
	for i, v := range d.Templating.List {
		if v.Name == "" {
			add("variable %d has no name", i)
			continue
		}
		if vars[v.Name] != nil {
			add("variable %q declared twice", v.Name)
		}
		vars[v.Name] = &d.Templating.List[i]
		if v.Type == "query" {
			if v.Datasource == nil || !dsVarRe.MatchString(v.Datasource.UID) {
				add("variable %q: its data source must be a data source variable", v.Name)
			}
		}
	}
	dsVarType := func(ref *dsRef) (string, bool) {
		if ref == nil {
			return "", false
		}
		m := dsVarRe.FindStringSubmatch(ref.UID)
		if m == nil {
			return "", false
		}
		v := vars[m[1]]
		if v == nil || v.Type != "datasource" {
			return "", false
		}
		var typ string
		if json.Unmarshal(v.Query, &typ) != nil || typ != ref.Type {
			return "", false
		}
		return typ, true
	}

	ids := map[int]string{}
	var boxes []panel
	for _, p := range d.flatPanels() {
		if p.ID <= 0 {
			add("panel %q: id %d must be positive", p.Title, p.ID)
		} else if other, dup := ids[p.ID]; dup {
			add("panels %q and %q share id %d", other, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			add("panel %q: gridPos %+v outside the 24-column grid", p.Title, g)
		}
		for _, b := range boxes {
			if g.X < b.GridPos.X+b.GridPos.W && b.GridPos.X < g.X+g.W && g.Y < b.GridPos.Y+b.GridPos.H && b.GridPos.Y < g.Y+g.H {
				add("panels %q and %q overlap", b.Title, p.Title)
			}
		}
		boxes = append(boxes, p)
		if p.Type == "row" {
			continue
		}
		if strings.TrimSpace(p.Title) == "" {
			add("panel %d has no title", p.ID)
		}
		typ, ok := dsVarType(p.Datasource)
		if !ok {
			add("panel %q: datasource %+v is not a data source variable of its type", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			add("panel %q has no targets", p.Title)
		}
		switch p.Type {
		case "timeseries", "stat", "bargauge", "gauge":
			if p.FieldConfig.Defaults.Unit == "" {
				add("panel %q has no unit", p.Title)
			}
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				add("panel %q: refId %q empty or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				add("panel %q target %s has no expr", p.Title, tg.RefID)
			}
			// A constant fallback would make "the query returns data"
			// vacuous; panels show zero with fieldConfig noValue instead.
			if strings.Contains(tg.Expr, "vector(") {
				add("panel %q target %s uses vector(): set noValue instead", p.Title, tg.RefID)
			}
			if tt, ok := dsVarType(tg.Datasource); !ok || tt != typ {
				add("panel %q target %s: datasource %+v differs from the panel's", p.Title, tg.RefID, tg.Datasource)
			}
			for _, m := range varRefRe.FindAllStringSubmatch(tg.Expr, -1) {
				name := m[1] + m[2]
				if !grafanaMacros[name] && vars[name] == nil {
					add("panel %q target %s uses undeclared variable $%s", p.Title, tg.RefID, name)
				}
			}
		}
		// A count of events that have not happened yet (no 5xx, no
		// rejection) is zero, not "No data".
		if countsEvents(p) && p.FieldConfig.Defaults.NoValue == nil {
			add("panel %q counts events but shows \"No data\" when there were none: set fieldConfig.defaults.noValue", p.Title)
		}
	}
	sort.Strings(errs)
	return errs
}

var eventCount = regexp.MustCompile(`\b(rate|increase|count_over_time)\(`)

// countsEvents reports whether every query of a number-showing panel
// counts events (a rate or count, not a quantile): with no event there is
// no series, and the panel must show 0.
func countsEvents(p panel) bool {
	switch p.Type {
	case "stat", "timeseries", "bargauge", "piechart", "gauge":
	default:
		return false
	}
	if len(p.Targets) == 0 {
		return false
	}
	for _, tg := range p.Targets {
		if !eventCount.MatchString(tg.Expr) || strings.Contains(tg.Expr, "quantile") {
			return false
		}
	}
	return true
}
