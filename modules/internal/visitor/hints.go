package visitor

import (
	"net/http"
	"strings"
)

// AcceptCH is the Accept-CH value that asks browsers for the User-Agent
// Client Hints the device classifier reads beyond the ones they send
// unasked (Sec-CH-UA-Mobile and Sec-CH-UA-Platform, listed too so that a
// response that lists only its own hints still gets them).
const AcceptCH = "Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Sec-CH-UA-Platform, Sec-CH-UA-Mobile"

// acceptCHHints are the members of AcceptCH.
var acceptCHHints = [...]string{"Sec-CH-UA-Form-Factors", "Sec-CH-UA-Model", "Sec-CH-UA-Platform", "Sec-CH-UA-Mobile"}

// hintsWriter adds AcceptCH to the response header when it is written.
type hintsWriter struct {
	http.ResponseWriter
	value *[1]string // per-request memory for the field line
	wrote bool       // the final header is written
}

// WriteHeader merges AcceptCH into the header and writes it. It runs for
// informational responses (103 Early Hints) too; merging is idempotent.
func (w *hintsWriter) WriteHeader(code int) {
	if !w.wrote {
		addAcceptCH(w.Header(), w.value)
		w.wrote = code >= 200
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write writes the header first, as http.ResponseWriter does.
func (w *hintsWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		addAcceptCH(w.Header(), w.value)
		w.wrote = true
	}
	return w.ResponseWriter.Write(b)
}

// Flush writes the header, if not yet written, and flushes.
func (w *hintsWriter) Flush() {
	if !w.wrote {
		addAcceptCH(w.Header(), w.value)
		w.wrote = true
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *hintsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// addAcceptCH adds the AcceptCH hints to h's Accept-CH: the whole value
// (from mem, no allocation) when there is none, else the hints its field
// lines do not list yet, appended to the last one.
func addAcceptCH(h http.Header, mem *[1]string) {
	lines := h["Accept-Ch"]
	if len(lines) == 0 {
		mem[0] = AcceptCH
		h["Accept-Ch"] = mem[:1:1]
		return
	}
	if len(lines) == 1 && lines[0] == AcceptCH {
		return // ours, from an earlier (informational) response
	}
	var add []string
	for _, hint := range acceptCHHints {
		if !listsHint(lines, hint) {
			add = append(add, hint)
		}
	}
	if len(add) == 0 {
		return
	}
	out := make([]string, len(lines))
	copy(out, lines)
	last := strings.TrimRight(out[len(out)-1], " \t,")
	if strings.Trim(last, " \t,") == "" {
		out[len(out)-1] = strings.Join(add, ", ")
	} else {
		out[len(out)-1] = last + ", " + strings.Join(add, ", ")
	}
	h["Accept-Ch"] = out
}

// listsHint reports whether the Accept-CH field lines list hint (header
// names compare case-insensitively).
func listsHint(lines []string, hint string) bool {
	for _, line := range lines {
		for line != "" {
			var item string
			item, line, _ = strings.Cut(line, ",")
			if strings.EqualFold(strings.Trim(item, " \t"), hint) {
				return true
			}
		}
	}
	return false
}
