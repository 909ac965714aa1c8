package waitingroom

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PageData is what a queue page template sees.
type PageData struct {
	// Room is the waiting room's name; Site the site's name (site_name,
	// else the request's host).
	Room, Site string
	// Status is "queued".
	Status string
	// Position is the place in line, 1 being next; 0 when not known
	// (before an event's start, in a random room, with the line full or
	// the store unreachable). Ahead is Position-1, AheadText the same in
	// words ("nobody", "1 person", "12 people"), and Waiting everyone in line.
	// AheadText is AheadText(Ahead) and Wait is WaitText(WaitMin, WaitMax)
	// (when HasWait): the built-in page derives them itself.
	Position, Ahead, Waiting int
	AheadText                string
	// Wait words the estimated wait ("3–5 minutes"), WaitMin and WaitMax
	// are its bounds in seconds; HasWait is false (and Wait empty) while
	// unknown.
	Wait             string
	WaitMin, WaitMax int
	HasWait          bool
	// Progress is the share of the way through the line, 0-100.
	Progress int
	// Refresh is the number of seconds until the page reloads itself.
	Refresh int
	// EventStart is when an event's admissions begin (zero without an
	// event); BeforeStart is true until then: the order is drawn at start.
	EventStart  time.Time
	BeforeStart bool
	// Paused: the room admits nobody for now. Random: places are drawn by
	// lot. Full: the line is full, the visitor has no ticket yet.
	// Unavailable: the room cannot tell the visitor's place right now.
	Paused, Random, Full, Unavailable bool
}

// DefaultPage is the built-in queue page.
const DefaultPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="{{.Refresh}}">
<title>You are in line · {{.Site}}</title>
<style>
  :root { color-scheme: light dark; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: #eef2f7; color: #1f2328; }
  main { width: min(34rem, calc(100% - 2rem)); margin: 1rem; padding: 2.25rem 2.5rem; border-radius: 14px;
         background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 10px 30px rgba(0,0,0,.08); }
  .site { margin: 0; color: #57606a; font-size: .95rem; letter-spacing: .02em; }
  h1 { margin: .25rem 0 1.25rem; font-size: 1.6rem; }
  .place { display: flex; align-items: baseline; gap: .75rem; margin: 0 0 .5rem; }
  .place b { font-size: 3rem; line-height: 1; color: #0a58ca; }
  progress { width: 100%; height: .9rem; margin: 1rem 0 .5rem; border: 0; border-radius: 1rem;
             overflow: hidden; background: #dde3ea; accent-color: #0a58ca; }
  progress::-webkit-progress-bar { background: #dde3ea; }
  progress::-webkit-progress-value { background: #0a58ca; border-radius: 1rem; }
  progress::-moz-progress-bar { background: #0a58ca; }
  .wait { font-size: 1.1rem; margin: .75rem 0; }
  .note { color: #57606a; font-size: .92rem; margin: .5rem 0 0; }
  @media (prefers-color-scheme: dark) {
    body { background: #0d1117; color: #e6edf3; }
    main { background: #161b22; box-shadow: none; }
    .site, .note { color: #8b949e; }
    .place b { color: #58a6ff; }
    progress, progress::-webkit-progress-bar { background: #30363d; }
  }
</style>
</head>
<body>
<main>
  <p class="site">{{.Site}}</p>
  {{- if .BeforeStart}}
  <h1>You are in the waiting room</h1>
  <p>Admission starts at <time datetime="{{.EventStart.Format "2006-01-02T15:04:05Z07:00"}}">{{.EventStart.Format "Mon 2 Jan 2006, 15:04 MST"}}</time>.
     Everyone who arrives before then gets a place in line drawn at random at the start, so there is no need to hurry.</p>
  <p class="wait">{{.Waiting}} in the waiting room.</p>
  {{- else if .Full}}
  <h1>The line is full right now</h1>
  <p>So many people are waiting that the line cannot take more for the moment. This page keeps trying for you.</p>
  {{- else if .Unavailable}}
  <h1>You are in line</h1>
  <p>We cannot show your place right now. Keep this page open: you keep your place, and you will go on to the site when it is your turn.</p>
  {{- else if .Random}}
  <h1>You are in line</h1>
  <p class="place"><b>{{.Waiting}}</b> people are waiting; places on the site are drawn by lot among them.</p>
  {{- if .HasWait}}
  <p class="wait">You have an even chance of getting in within <strong>{{.Wait}}</strong>.</p>
  {{- end}}
  {{- else}}
  <h1>You are in line</h1>
  <p class="place"><b>{{.Position}}</b> <span>your place in line, with {{.AheadText}} ahead of you</span></p>
  <progress value="{{.Progress}}" max="100">{{.Progress}}%</progress>
  {{- if .HasWait}}
  <p class="wait">Estimated wait: <strong>{{.Wait}}</strong></p>
  {{- end}}
  {{- end}}
  {{- if .Paused}}
  <p class="wait">Admission is paused for a moment. You keep your place.</p>
  {{- end}}
  <p class="note">This page refreshes itself every few seconds: keep it open and you will go on to {{.Site}} as soon as it is your turn. Leaving gives up your place.</p>
</main>
</body>
</html>
`

// Page renders the queue page.
type Page struct {
	tmpl *template.Template
	// fast renders the built-in page without running the template per
	// request: each shape of page (which parts show) is rendered once with
	// markers where the values go, and the values are filled in.
	fast   bool
	mu     sync.Mutex
	shapes map[shapeKey]*shapePage
}

// shapeKey identifies a rendered shape: which parts show, and the event's
// start (printed as a time; one per room).
type shapeKey struct {
	shape uint16
	start time.Time
}

// maxShapes bounds the rendered shapes kept; past it, pages are rendered
// by the template.
const maxShapes = 512

// ParsePage parses an html/template queue page; an empty text is
// DefaultPage. The template is executed with sample data of every shape, so
// a template that cannot render fails here, not on the request path.
func ParsePage(name, text string) (*Page, error) {
	builtin := text == ""
	if builtin {
		text = DefaultPage
	}
	tmpl, err := template.New(name).Parse(text)
	if err != nil {
		return nil, err
	}
	p := &Page{tmpl: tmpl, fast: builtin, shapes: make(map[shapeKey]*shapePage)}
	var buf bytes.Buffer
	for shape := range uint16(1) << shapeBits {
		d := sampleData(shape)
		buf.Reset()
		if err := tmpl.Execute(&buf, d); err != nil {
			return nil, err
		}
		if p.fast {
			// The built-in page must render the same both ways.
			sp, err := p.shape(shape, &d)
			if err != nil {
				return nil, err
			}
			var fast bytes.Buffer
			sp.render(&fast, &d)
			if !bytes.Equal(fast.Bytes(), buf.Bytes()) {
				return nil, fmt.Errorf("built-in page: shape %b renders differently with markers", shape)
			}
		}
	}
	return p, nil
}

// Render writes the page for d into buf.
func (p *Page) Render(buf *bytes.Buffer, d *PageData) error {
	if !p.fast {
		return p.execute(buf, d)
	}
	sp, err := p.shape(shapeOf(d), d)
	if err != nil {
		return err
	}
	if sp == nil {
		return p.execute(buf, d)
	}
	sp.render(buf, d)
	return nil
}

// execute runs the template on a copy of d, so that d itself stays on the
// caller's stack.
func (p *Page) execute(buf *bytes.Buffer, d *PageData) error {
	return p.tmpl.Execute(buf, *d)
}

// The bits of a page's shape: the fields that decide which parts show.
const (
	shapeBeforeStart = 1 << iota
	shapeFull
	shapeUnavailable
	shapeRandom
	shapeHasWait
	shapePaused
	shapeBits = iota
)

func shapeOf(d *PageData) uint16 {
	var s uint16
	for bit, on := range [...]bool{d.BeforeStart, d.Full, d.Unavailable, d.Random, d.HasWait, d.Paused} {
		if on {
			s |= 1 << bit
		}
	}
	return s
}

func sampleData(shape uint16) PageData {
	d := PageData{
		Room: "tickets", Site: "shop.example.com", Status: "queued",
		Position: 42, Ahead: 41, Waiting: 1234, AheadText: "41 people",
		Wait: "3–5 minutes", WaitMin: 180, WaitMax: 300, Progress: 37, Refresh: 20,
		EventStart: time.Date(2026, 12, 24, 10, 0, 0, 0, time.FixedZone("+0900", 9*3600)),
	}
	d.BeforeStart = shape&shapeBeforeStart != 0
	d.Full = shape&shapeFull != 0
	d.Unavailable = shape&shapeUnavailable != 0
	d.Random = shape&shapeRandom != 0
	d.HasWait = shape&shapeHasWait != 0
	d.Paused = shape&shapePaused != 0
	return d
}

// markerData has PageData's fields, with markers in place of the values
// that vary from request to request.
type markerData struct {
	Room, Site, Status                  string
	Position, Ahead, Waiting, AheadText string
	Wait, WaitMin, WaitMax              string
	HasWait                             bool
	Progress, Refresh                   string
	EventStart                          time.Time
	BeforeStart, Paused, Random, Full   bool
	Unavailable                         bool
}

// The values filled in, in markerData's order.
const (
	fieldSite = iota
	fieldPosition
	fieldAhead
	fieldWaiting
	fieldAheadText
	fieldWait
	fieldWaitMin
	fieldWaitMax
	fieldProgress
	fieldRefresh
	fieldCount
)

func marker(i int) string { return "zqzFD" + strconv.Itoa(i) + "zqz" }

type shapePage struct {
	chunks [][]byte // static text; len(fields)+1 of them
	fields []int
}

func (p *Page) shape(shape uint16, d *PageData) (*shapePage, error) {
	key := shapeKey{shape, d.EventStart}
	p.mu.Lock()
	defer p.mu.Unlock()
	if sp := p.shapes[key]; sp != nil {
		return sp, nil
	}
	if len(p.shapes) >= maxShapes {
		return nil, nil
	}
	md := markerData{
		Room: d.Room, Status: d.Status, EventStart: d.EventStart,
		Site: marker(fieldSite), Position: marker(fieldPosition), Ahead: marker(fieldAhead),
		Waiting: marker(fieldWaiting), AheadText: marker(fieldAheadText), Wait: marker(fieldWait),
		WaitMin: marker(fieldWaitMin), WaitMax: marker(fieldWaitMax), Progress: marker(fieldProgress),
		Refresh: marker(fieldRefresh),
		HasWait: d.HasWait, BeforeStart: d.BeforeStart, Paused: d.Paused, Random: d.Random,
		Full: d.Full, Unavailable: d.Unavailable,
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, md); err != nil {
		return nil, err
	}
	sp := &shapePage{}
	rest := buf.String()
	for {
		i := strings.Index(rest, "zqzFD")
		if i < 0 {
			sp.chunks = append(sp.chunks, []byte(rest))
			break
		}
		j := strings.Index(rest[i+5:], "zqz")
		if j < 0 {
			return nil, fmt.Errorf("page: unterminated marker")
		}
		f, err := strconv.Atoi(rest[i+5 : i+5+j])
		if err != nil || f < 0 || f >= fieldCount {
			return nil, fmt.Errorf("page: bad marker")
		}
		sp.chunks = append(sp.chunks, []byte(rest[:i]))
		sp.fields = append(sp.fields, f)
		rest = rest[i+5+j+3:]
	}
	p.shapes[key] = sp
	return sp, nil
}

func (sp *shapePage) render(buf *bytes.Buffer, d *PageData) {
	var num [64]byte
	for i, f := range sp.fields {
		buf.Write(sp.chunks[i])
		switch f {
		case fieldSite:
			escapeText(buf, d.Site)
		case fieldAheadText:
			buf.Write(AppendAheadText(num[:0], d.Ahead)) // nothing to escape
		case fieldWait:
			buf.Write(AppendWaitText(num[:0], d.WaitMin, d.WaitMax))
		default:
			buf.Write(strconv.AppendInt(num[:0], int64(d.intField(f)), 10))
		}
	}
	buf.Write(sp.chunks[len(sp.chunks)-1])
}

// escapeText writes s as html/template writes text: the same characters
// escaped the same way.
func escapeText(buf *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case 0:
			esc = "\uFFFD"
		case '"':
			esc = "&#34;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '+':
			esc = "&#43;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		default:
			continue
		}
		buf.WriteString(s[last:i])
		buf.WriteString(esc)
		last = i + 1
	}
	buf.WriteString(s[last:])
}

func (d *PageData) intField(f int) int {
	switch f {
	case fieldPosition:
		return d.Position
	case fieldAhead:
		return d.Ahead
	case fieldWaiting:
		return d.Waiting
	case fieldWaitMin:
		return d.WaitMin
	case fieldWaitMax:
		return d.WaitMax
	case fieldProgress:
		return d.Progress
	case fieldRefresh:
		return d.Refresh
	}
	return 0
}

// AheadText words a number of people ahead.
func AheadText(n int) string { return string(AppendAheadText(nil, n)) }

// AppendAheadText appends AheadText(n) to dst.
func AppendAheadText(dst []byte, n int) []byte {
	switch n {
	case 0:
		return append(dst, "nobody"...)
	case 1:
		return append(dst, "1 person"...)
	}
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, " people"...)
}

// Derived reports whether the page renders Wait and AheadText from the
// numbers (WaitMin, WaitMax, Ahead) itself: the built-in page does, so they
// need not be set. A custom template needs them.
func (p *Page) Derived() bool { return p.fast }

// JSON is the queue response for clients that ask for JSON.
type JSON struct {
	Status         string
	Position       int // 0: null
	Ahead          int // -1: null
	ETA            int // seconds; -1: null
	RefreshSeconds int
	EventStart     time.Time // zero: null
}

// AppendJSON appends
// {"status","position","ahead","eta_seconds","refresh_seconds","event_start"}
// and a newline.
func AppendJSON(dst []byte, j *JSON) []byte {
	dst = append(dst, `{"status":"`...)
	dst = append(dst, j.Status...)
	dst = append(dst, `","position":`...)
	dst = appendIntOrNull(dst, j.Position, j.Position > 0)
	dst = append(dst, `,"ahead":`...)
	dst = appendIntOrNull(dst, j.Ahead, j.Ahead >= 0)
	dst = append(dst, `,"eta_seconds":`...)
	dst = appendIntOrNull(dst, j.ETA, j.ETA >= 0)
	dst = append(dst, `,"refresh_seconds":`...)
	dst = strconv.AppendInt(dst, int64(j.RefreshSeconds), 10)
	dst = append(dst, `,"event_start":`...)
	if j.EventStart.IsZero() {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = j.EventStart.AppendFormat(dst, time.RFC3339)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...)
}

func appendIntOrNull(dst []byte, n int, ok bool) []byte {
	if !ok {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, int64(n), 10)
}
