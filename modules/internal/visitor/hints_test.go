package visitor

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAskHints(t *testing.T) {
	tests := []struct {
		name     string
		existing []string // Accept-CH set before the header is written
		want     []string
	}{
		{"none", nil, []string{AcceptCH}},
		{"others kept, ours appended", []string{"DPR, Viewport-Width"},
			[]string{"DPR, Viewport-Width, Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Sec-CH-UA-Platform, Sec-CH-UA-Mobile"}},
		{"no hint repeated, any case, any line", []string{"sec-ch-ua-model", "DPR,Sec-CH-UA-Mobile ,"},
			[]string{"sec-ch-ua-model", "DPR,Sec-CH-UA-Mobile, Sec-CH-UA-Form-Factors, Sec-CH-UA-Platform"}},
		{"all there already", []string{"Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Model, Sec-CH-UA-Form-Factors"},
			[]string{"Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Model, Sec-CH-UA-Form-Factors"}},
		{"empty line", []string{""}, []string{"Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Sec-CH-UA-Platform, Sec-CH-UA-Mobile"}},
	}
	for _, tt := range tests {
		for _, how := range []string{"WriteHeader", "Write", "Flush"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				rec := httptest.NewRecorder()
				w := New(netip.Addr{}, http.Header{}, nil).AskHints(rec)
				if tt.existing != nil {
					w.Header()["Accept-Ch"] = append([]string(nil), tt.existing...)
				}
				switch how {
				case "WriteHeader":
					w.WriteHeader(http.StatusOK)
				case "Write":
					_, _ = w.Write([]byte("body"))
				case "Flush":
					w.(http.Flusher).Flush()
				}
				_, _ = w.Write([]byte("more"))
				got := rec.Result().Header["Accept-Ch"]
				if len(got) != len(tt.want) {
					t.Fatalf("Accept-CH = %q, want %q", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Fatalf("Accept-CH = %q, want %q", got, tt.want)
					}
				}
			})
		}
	}
}

// TestAskHintsEarlyHints: a 103 response asks for the hints too, and the
// final response does not list them twice.
func TestAskHintsEarlyHints(t *testing.T) {
	rec := httptest.NewRecorder()
	w := New(netip.Addr{}, http.Header{}, nil).AskHints(rec)
	w.Header().Set("Link", "</app.css>; rel=preload")
	w.WriteHeader(http.StatusEarlyHints)
	w.WriteHeader(http.StatusOK)
	if got := rec.Result().Header["Accept-Ch"]; len(got) != 1 || got[0] != AcceptCH {
		t.Fatalf("Accept-CH = %q", got)
	}
}

// TestAskHintsOnce: asking twice for the same request wraps once, and the
// wrapper unwraps for http.ResponseController.
func TestAskHintsOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	in := New(netip.Addr{}, http.Header{}, nil)
	w := in.AskHints(rec)
	if again := in.AskHints(w); again != w {
		t.Fatal("AskHints wrapped its own writer")
	}
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != rec {
		t.Fatal("the wrapper does not unwrap to the writer it wraps")
	}
}

func TestAskHintsAllocs(t *testing.T) {
	rec := httptest.NewRecorder()
	in := New(netip.Addr{}, http.Header{}, nil)
	n := testing.AllocsPerRun(100, func() {
		delete(rec.HeaderMap, "Accept-Ch")
		w := in.AskHints(rec)
		addAcceptCH(w.Header(), &in.hintsValue)
	})
	if n != 0 {
		t.Fatalf("AskHints and the header cost %v allocations, want 0", n)
	}
}
