package throttle

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
)

// PageData is what the HTML page of a rejection (the built-in one or a
// `page` template) sees.
type PageData struct {
	// Status is the response status: 429 or the configured status_code,
	// 503 when the store failed and on_store_error is "deny".
	Status int
	// StatusText is the status's reason phrase: "Too Many Requests".
	StatusText string
	// Zone is the throttle zone's name.
	Zone string
	// Message is what the plain-text and JSON bodies say: "too many
	// requests", or "rate limiter unavailable".
	Message string
	// RetryAfter is the Retry-After value: whole seconds, at least 1.
	RetryAfter int64
	// Wait is RetryAfter in words, never less than it: "1 second",
	// "59 seconds", "2 minutes 5 seconds", "1 hour 30 minutes", "2 days 1 hour".
	Wait string
}

// defaultPage is the built-in page: no script and nothing fetched from
// elsewhere, so it shows even while every other request is refused.
const defaultPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.StatusText}}</title>
<style>
  :root { color-scheme: light dark; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: #f6f7f9; color: #1f2328; }
  main { max-width: 34rem; margin: 2rem; padding: 2.5rem; border-radius: 12px; background: #fff;
         box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
  h1 { margin: 0 0 .75rem; font-size: 1.6rem; }
  p { margin: .5rem 0; }
  .wait { font-size: 1.25rem; }
  .status { color: #57606a; font-size: .95rem; }
  @media (prefers-color-scheme: dark) {
    body { background: #0d1117; color: #e6edf3; }
    main { background: #161b22; box-shadow: none; }
    .status { color: #8b949e; }
  }
</style>
</head>
<body>
<main>
  {{- if eq .Status 429}}
  <h1>Too many requests</h1>
  <p>This site is receiving more requests from your network than it can answer right now.</p>
  {{- else}}
  <h1>Please try again shortly</h1>
  <p>This site cannot answer your request right now.</p>
  {{- end}}
  <p class="wait">Please wait <strong><time datetime="PT{{.RetryAfter}}S">{{.Wait}}</time></strong>, then try again.</p>
  <p class="status">{{.Status}} {{.StatusText}}</p>
</main>
</body>
</html>
`

// maxPageSize bounds a page template file.
const maxPageSize = 1 << 20

// loadPage reads and parses the page template at path ("" for the built-in
// page), and renders it once with sample data, so that a template that
// cannot render fails here rather than on a request.
func loadPage(path string) (*template.Template, error) {
	text := defaultPage
	name := "throttle page"
	if path != "" {
		name = path
		b, err := readPageFile(path)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	sample := PageData{Status: http.StatusTooManyRequests, StatusText: http.StatusText(http.StatusTooManyRequests),
		Zone: "sample", Message: "too many requests", RetryAfter: 59, Wait: waitText(59)}
	if err := tmpl.Execute(io.Discard, sample); err != nil {
		return nil, err
	}
	return tmpl, nil
}

// readPageFile reads a regular file of at most maxPageSize bytes.
func readPageFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPageSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPageSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPageSize)
	}
	return b, nil
}

// waitText writes a number of seconds in words, rounded up to the unit
// after the largest (so never shorter than the real wait): "59 seconds",
// "2 minutes 5 seconds", "1 hour 1 minute" for 3601 s, "2 days 1 hour".
func waitText(secs int64) string {
	secs = max(secs, 1)
	units := [...]struct {
		size int64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}}
	for i, u := range units {
		if secs < u.size {
			continue
		}
		n := secs / u.size
		rest := secs % u.size
		if i == len(units)-1 {
			return plural(n, u.name)
		}
		next := units[i+1]
		m := (rest + next.size - 1) / next.size // rounded up
		if m*next.size == u.size {
			n, m = n+1, 0
		}
		if m == 0 {
			return plural(n, u.name)
		}
		return plural(n, u.name) + " " + plural(m, next.name)
	}
	return plural(secs, "second")
}

func plural(n int64, unit string) string {
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// pageCacheSlots is how many rendered pages a handler keeps: one per
// Retry-After value modulo this, so a flood of rejections renders each
// value once.
const pageCacheSlots = 64

// renderedPage is a page rendered for one status, message and wait.
type renderedPage struct {
	status int
	retry  int64
	msg    string
	body   []byte
}

// pageCache holds the latest rendered pages of a handler.
type pageCache struct {
	slots [pageCacheSlots]atomic.Pointer[renderedPage]
}

// render returns the page of a rejection, from the cache when it was
// rendered before for the same status, message and wait.
func (c *pageCache) render(tmpl *template.Template, status int, zone, msg string, retry int64) ([]byte, error) {
	slot := &c.slots[uint64(retry)%pageCacheSlots]
	if p := slot.Load(); p != nil && p.status == status && p.retry == retry && p.msg == msg {
		return p.body, nil
	}
	d := PageData{Status: status, StatusText: http.StatusText(status), Zone: zone, Message: msg,
		RetryAfter: retry, Wait: waitText(retry)}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	slot.Store(&renderedPage{status: status, retry: retry, msg: msg, body: buf.Bytes()})
	return buf.Bytes(), nil
}
