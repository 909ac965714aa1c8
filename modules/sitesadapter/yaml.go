package sitesadapter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes one catalog may expand to, aliases
// included, so that a small file with nested aliases cannot exhaust memory.
const maxNodes = 1_000_000

// maxWork bounds how many values decoding may visit, aliases expanded.
const maxWork = 2_000_000

// maxIncludes bounds how many files a catalog may include.
const maxIncludes = 1000

// maxIncludeSize bounds the size of an included file.
const maxIncludeSize = 4 << 20

// maxErrors is how many problems one adapt reports before it stops.
const maxErrors = 20

// at is where a value was written: file (empty for a catalog given without
// a file name, like a POST /load body), line and column.
type at struct {
	file      string
	line, col int
}

func (a at) String() string {
	switch {
	case a.file != "" && a.line > 0:
		return fmt.Sprintf("%s:%d", a.file, a.line)
	case a.file != "":
		return a.file
	case a.line > 0:
		return fmt.Sprintf("line %d", a.line)
	}
	return "catalog"
}

// posError is a catalog problem with the place it was written.
type posError struct {
	at  at
	msg string
}

func (e *posError) Error() string { return e.at.String() + ": " + e.msg }

// errorList collects catalog problems so that one adapt reports them all
// (up to maxErrors), each once, in the order found.
type errorList struct {
	errs []error
	seen map[string]bool
}

func (l *errorList) add(a at, format string, args ...any) {
	e := &posError{at: a, msg: fmt.Sprintf(format, args...)}
	if l.seen == nil {
		l.seen = make(map[string]bool)
	}
	if l.seen[e.Error()] || len(l.errs) >= maxErrors {
		return
	}
	l.seen[e.Error()] = true
	l.errs = append(l.errs, e)
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	if len(l.errs) == 1 {
		return l.errs[0]
	}
	return fmt.Errorf("%d problems in the catalog:\n%w", len(l.errs), errors.Join(l.errs...))
}

// tree is a parsed catalog: every file's nodes, and which file each node
// came from, so that errors name file and line.
type tree struct {
	files map[*yaml.Node]string
	nodes int
	work  int
	errs  *errorList
	// merged caches each mapping's keys with its merge keys expanded: a
	// mapping that many others merge (<<: [*a, *a, ...], nested) is
	// expanded once, not once per path to it.
	merged map[*yaml.Node][]pair
}

func (t *tree) at(n *yaml.Node) at {
	if n == nil {
		return at{}
	}
	return at{file: t.files[n], line: n.Line, col: n.Column}
}

// parse reads one YAML document and records its nodes as coming from file.
// It returns the document's top-level node, or nil for an empty document.
func (t *tree) parse(file string, body []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML parser is third-party code; a panic on a hostile input
		// must not take down the admin endpoint.
		if r := recover(); r != nil {
			root, err = nil, &posError{at: at{file: file}, msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, after, ok := strings.Cut(rest, ": "); ok {
				if n, err := strconv.Atoi(num); err == nil {
					line, msg = n, after
					// The parser (not the scanner) reports the 0-based line
					// where the enclosing construct starts.
					if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found undefined tag handle") {
						line++
					}
				}
			}
		}
		return nil, &posError{at: at{file: file, line: line}, msg: "invalid YAML: " + msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	if !t.register(file, doc.Content[0], 0) {
		return nil, &posError{at: at{file: file}, msg: fmt.Sprintf("catalog too large (more than %d YAML nodes, aliases included)", maxNodes)}
	}
	return doc.Content[0], nil
}

// register records the file of n and its children; it fails when the
// catalog grows past maxNodes. Aliases are followed, since they expand.
func (t *tree) register(file string, n *yaml.Node, depth int) bool {
	if n == nil {
		return true
	}
	t.nodes++
	if t.nodes > maxNodes || depth > 100 {
		return false
	}
	if _, ok := t.files[n]; ok {
		return true
	}
	t.files[n] = file
	if n.Kind == yaml.AliasNode {
		// The target comes earlier in the same document: already recorded.
		return true
	}
	for _, c := range n.Content {
		if !t.register(file, c, depth+1) {
			return false
		}
	}
	return true
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// isNull reports whether n is absent or an explicit YAML null.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") || n.Kind == 0
}

// isOff reports whether n is a scalar that switches a feature off.
func isOff(n *yaml.Node) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch strings.ToLower(n.Value) {
	case "off", "false", "no":
		return true
	}
	return false
}

// pair is one key of a mapping with its value.
type pair struct {
	key, val *yaml.Node
}

// pairs lists a mapping's keys in order, expanding YAML merge keys (<<).
// Later keys override earlier ones, as in YAML.
func (t *tree) pairs(n *yaml.Node) []pair {
	return t.pairsDepth(n, 0)
}

func (t *tree) pairsDepth(n *yaml.Node, depth int) []pair {
	n = resolve(n)
	if depth > 20 {
		t.errs.add(t.at(n), "merge keys (<<) nested too deeply")
		return nil
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	if cached, ok := t.merged[n]; ok {
		return cached
	}
	var out []pair
	index := make(map[string]int)
	put := func(p pair, override bool) {
		if i, ok := index[p.key.Value]; ok {
			if override {
				out[i] = p
			}
			return
		}
		index[p.key.Value] = len(out)
		out = append(out, p)
	}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			src := resolve(v)
			var maps []*yaml.Node
			switch {
			case src != nil && src.Kind == yaml.MappingNode:
				maps = []*yaml.Node{src}
			case src != nil && src.Kind == yaml.SequenceNode:
				maps = src.Content
			default:
				t.errs.add(t.at(k), "the merge key << needs a mapping or a list of mappings")
			}
			for _, m := range maps {
				merged = append(merged, t.pairsDepth(m, depth+1)...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			t.errs.add(t.at(k), "keys must be plain strings")
			continue
		}
		if _, dup := index[k.Value]; dup {
			t.errs.add(t.at(k), "key %q is set twice in the same mapping", k.Value)
			continue
		}
		put(pair{k, v}, true)
	}
	for _, p := range merged {
		put(p, false)
	}
	if t.merged == nil {
		t.merged = make(map[*yaml.Node][]pair)
	}
	t.merged[n] = out
	return out
}

// merge returns site laid over def: mappings merge key by key (recursively),
// anything else in site replaces def. The result shares leaf nodes with its
// inputs, so positions still point at the file that set each value.
func (t *tree) merge(def, site *yaml.Node) *yaml.Node {
	return t.mergeDepth(def, site, 0)
}

func (t *tree) mergeDepth(def, site *yaml.Node, depth int) *yaml.Node {
	def, site = resolve(def), resolve(site)
	if depth > 20 {
		return site
	}
	if def == nil || isNull(def) {
		return site
	}
	if site == nil {
		return def
	}
	if def.Kind != yaml.MappingNode || site.Kind != yaml.MappingNode {
		return site
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: site.Line, Column: site.Column}
	t.files[out] = t.files[site]
	sitePairs := t.pairs(site)
	inSite := make(map[string]*yaml.Node, len(sitePairs))
	for _, p := range sitePairs {
		inSite[p.key.Value] = p.val
	}
	for _, p := range t.pairs(def) {
		if sv, ok := inSite[p.key.Value]; ok {
			// A null in the site ("throttle:") keeps the default.
			if isNull(sv) {
				out.Content = append(out.Content, p.key, p.val)
			} else {
				out.Content = append(out.Content, p.key, t.mergeDepth(p.val, sv, depth+1))
			}
			delete(inSite, p.key.Value)
			continue
		}
		out.Content = append(out.Content, p.key, p.val)
	}
	for _, p := range sitePairs {
		if _, ok := inSite[p.key.Value]; ok {
			out.Content = append(out.Content, p.key, p.val)
		}
	}
	return out
}

// shorthand rewrites a list given where a mapping is expected into that
// mapping with the list under key, e.g. `upstreams: [a, b]` into
// `upstreams: {to: [a, b]}`, so that lists merge with mapping defaults.
func (t *tree) shorthand(n *yaml.Node, key string) *yaml.Node {
	r := resolve(n)
	if r == nil || r.Kind != yaml.SequenceNode {
		return n
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: r.Line, Column: r.Column}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: r.Line, Column: r.Column, Content: []*yaml.Node{k, r}}
	t.files[k], t.files[out] = t.files[r], t.files[r]
	return out
}

// decoder is a strict YAML-node-to-struct decoder: unknown keys, wrong
// kinds and bad scalars are errors with file and line; it never panics.
//
// Struct fields are matched by their `yaml` tag. A field of type at
// receives the position of the mapping. Types implementing nodeDecoder
// decode themselves.
type nodeDecoder interface {
	decodeNode(t *tree, n *yaml.Node)
}

var (
	atType          = reflect.TypeFor[at]()
	nodeDecoderType = reflect.TypeFor[nodeDecoder]()
)

func (t *tree) decode(n *yaml.Node, v reflect.Value, what string) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return
	}
	// Aliases let a small file name the same large value many times.
	t.work++
	if t.work > maxWork {
		if t.work == maxWork+1 {
			t.errs.add(t.at(n), "catalog too large to decode (aliases expand to more than %d values)", maxWork)
		}
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(t, n)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A section can be switched with a scalar: `trace_id: true`,
		// `throttle: off` (which also drops an inherited default).
		if el := v.Type().Elem(); el.Kind() == reflect.Struct && n.Kind == yaml.ScalarNode && isSwitch(n.Value) {
			if isOff(n) {
				v.SetZero()
				return
			}
			nv := reflect.New(el)
			for i := range el.NumField() {
				if el.Field(i).Type == atType && el.Field(i).IsExported() {
					nv.Elem().Field(i).Set(reflect.ValueOf(t.at(n)))
				}
			}
			v.Set(nv)
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		t.decode(n, v.Elem(), what)
	case reflect.Struct:
		t.decodeStruct(n, v, what)
	case reflect.Slice:
		items := []*yaml.Node{n}
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		} else if n.Kind == yaml.MappingNode {
			t.errs.add(t.at(n), "%s: expected a list, got a mapping", what)
			return
		}
		s := reflect.MakeSlice(v.Type(), 0, len(items))
		for _, item := range items {
			e := reflect.New(v.Type().Elem()).Elem()
			t.decode(item, e, what)
			s = reflect.Append(s, e)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			t.errs.add(t.at(n), "%s: expected a mapping", what)
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, p := range t.pairs(n) {
			e := reflect.New(v.Type().Elem()).Elem()
			t.decode(p.val, e, what+"."+p.key.Value)
			m.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	case reflect.String:
		if s, ok := t.scalar(n, what); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := t.scalar(n, what)
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			t.errs.add(t.at(n), "%s: expected true or false, got %q", what, s)
		}
	case reflect.Int:
		s, ok := t.scalar(n, what)
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			t.errs.add(t.at(n), "%s: expected a whole number, got %q", what, s)
			return
		}
		v.SetInt(int64(i))
	default:
		t.errs.add(t.at(n), "%s: unsupported value", what)
	}
}

func (t *tree) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		t.errs.add(t.at(n), "%s: expected a single value, got a %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func (t *tree) decodeStruct(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.MappingNode {
		t.errs.add(t.at(n), "%s: expected a mapping, got %s", what, describe(n))
		return
	}
	typ := v.Type()
	fields := make(map[string]int, typ.NumField())
	var names []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type == atType {
			v.Field(i).Set(reflect.ValueOf(t.at(n)))
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	for _, p := range t.pairs(n) {
		i, ok := fields[p.key.Value]
		if !ok {
			msg := fmt.Sprintf("%s: unknown key %q", what, p.key.Value)
			if s := closest(p.key.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				sort.Strings(names)
				msg += " (known keys: " + strings.Join(names, ", ") + ")"
			}
			t.errs.add(t.at(p.key), "%s", msg)
			continue
		}
		t.decode(p.val, v.Field(i), what+"."+p.key.Value)
	}
}

func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

// closest returns the known key within edit distance 2 of key, if any.
func closest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// expandIncludes resolves include globs and returns the matching files in
// a stable order, each once. A relative pattern is relative to base (the
// include_base key, itself relative to the catalog's directory), else to
// the catalog file's directory; a catalog with no file name (a POST /load
// body) has no directory, so its relative patterns need include_base. A
// pattern that matches no regular file is an error: a site silently lost
// is the worst thing a front door's config can do.
func expandIncludes(file string, base str, patterns []string, where []at, errs *errorList) []string {
	dir := ""
	if file != "" {
		dir = filepath.Dir(file)
	}
	switch {
	case base.v == "":
	case filepath.IsAbs(base.v):
		dir = base.v
	case dir != "":
		dir = filepath.Join(dir, base.v)
	default:
		errs.add(base.at, "include_base %q is relative, and this catalog has no file name to be relative to (a POST /load body): use an absolute directory", base.v)
		return nil
	}
	seen := make(map[string]bool)
	var out []string
	for i, p := range patterns {
		pattern := p
		if !filepath.IsAbs(pattern) {
			if dir == "" {
				errs.add(where[i], "include %q is relative, and this catalog has no file name to resolve it from (a POST /load body): set include_base to an absolute directory, use an absolute pattern, or load the file with `frontdoor reload --config <file> --adapter sites`", p)
				continue
			}
			pattern = filepath.Join(dir, pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			errs.add(where[i], "include %q: %v", p, err)
			continue
		}
		sort.Strings(matches)
		if len(out)+len(matches) > maxIncludes {
			errs.add(where[i], "include %q: more than %d files", p, maxIncludes)
			return out
		}
		regular := 0
		for _, m := range matches {
			// Only regular files: a pattern matching devices or FIFOs
			// (/dev/*) must not hang or exhaust memory.
			st, err := os.Stat(m)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			regular++
			if st.Size() > maxIncludeSize {
				errs.add(where[i], "include %q: %s is larger than %d bytes", p, m, maxIncludeSize)
				continue
			}
			if abs, err := filepath.Abs(m); err == nil && !seen[abs] {
				seen[abs] = true
				out = append(out, m)
			}
		}
		if regular == 0 {
			if abs, err := filepath.Abs(pattern); err == nil {
				pattern = abs
			}
			errs.add(where[i], "include %q matches no file (looked for %s)", p, pattern)
		}
	}
	return out
}
