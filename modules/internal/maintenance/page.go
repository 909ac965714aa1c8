package maintenance

import (
	"bytes"
	"encoding/json"
	"html/template"
	"sync"
	"time"
)

// DefaultMessage is shown when neither the switch nor the configuration
// gives a message.
const DefaultMessage = "We are carrying out planned maintenance and will be back shortly. Thank you for your patience."

// PageData is what a maintenance page template sees.
type PageData struct {
	// Name is the name of the maintenance.
	Name string
	// Message is the switch's message, or the configured default.
	Message string
	// Until is when the maintenance ends; the zero time when unknown
	// (test with {{if not .Until.IsZero}}).
	Until time.Time
	// RetryAfter is the Retry-After value in seconds.
	RetryAfter int64
}

// DefaultPage is the built-in maintenance page.
const DefaultPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Down for maintenance</title>
<style>
  :root { color-scheme: light dark; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: #f6f7f9; color: #1f2328; }
  main { max-width: 34rem; margin: 2rem; padding: 2.5rem; border-radius: 12px; background: #fff;
         box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
  h1 { margin: 0 0 .75rem; font-size: 1.6rem; }
  p { margin: .5rem 0; }
  .until { color: #57606a; font-size: .95rem; }
  @media (prefers-color-scheme: dark) {
    body { background: #0d1117; color: #e6edf3; }
    main { background: #161b22; box-shadow: none; }
    .until { color: #8b949e; }
  }
</style>
</head>
<body>
<main>
  <h1>Down for maintenance</h1>
  <p>{{.Message}}</p>
  {{- if not .Until.IsZero}}
  <p class="until">Expected back by <time datetime="{{.Until.UTC.Format "2006-01-02T15:04:05Z07:00"}}">{{.Until.UTC.Format "Mon 2 Jan 2006, 15:04 MST"}}</time>.</p>
  {{- end}}
</main>
</body>
</html>
`

// Page renders maintenance responses.
type Page struct {
	tmpl *template.Template
}

// ParsePage parses an html/template page; an empty text means DefaultPage.
// The template is executed once with sample data, so that a template that
// cannot render fails here rather than on the request path.
func ParsePage(name, text string) (*Page, error) {
	if text == "" {
		text = DefaultPage
	}
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	p := &Page{tmpl: tmpl}
	var buf bytes.Buffer
	sample := PageData{Name: "sample", Message: DefaultMessage, Until: time.Unix(1700000000, 0), RetryAfter: 60}
	if err := p.tmpl.Execute(&buf, sample); err != nil {
		return nil, err
	}
	return p, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GetBuffer returns an empty pooled buffer; give it back with PutBuffer.
func GetBuffer() *bytes.Buffer {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// PutBuffer returns buf to the pool unless it grew large.
func PutBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		bufPool.Put(buf)
	}
}

// RenderHTML writes the page for d into buf.
func (p *Page) RenderHTML(buf *bytes.Buffer, d PageData) error {
	return p.tmpl.Execute(buf, d)
}

// RenderJSON writes {"status":"maintenance","message":...,"until":...} for d
// into buf; until is RFC 3339 or null.
func RenderJSON(buf *bytes.Buffer, d PageData) error {
	body := struct {
		Status  string     `json:"status"`
		Message string     `json:"message"`
		Until   *time.Time `json:"until"`
	}{Status: "maintenance", Message: d.Message, Until: timePtr(d.Until)}
	return json.NewEncoder(buf).Encode(body)
}
