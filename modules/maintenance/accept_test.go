package maintenance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

// TestHandlerAccept checks the body the handler chooses by Accept (the
// shared parser, modules/internal/accept): HTML for browsers, curl and
// clients without Accept, JSON for API clients, and every Accept line read.
func TestHandlerAccept(t *testing.T) {
	h := &Handler{Name: "accept"}
	reg, _, _ := testHandler(t, h)
	if _, err := reg.Set(context.Background(), "accept", maint.State{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		accept []string
		json   bool
	}{
		{"no accept", nil, false},
		{"curl", []string{"*/*"}, false},
		{"browser", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false},
		{"api", []string{"application/json"}, true},
		{"axios", []string{"application/json, text/plain, */*"}, true},
		{"json refused after its weight", []string{"application/json;q=0;level=1"}, false},
		{"json below a wildcard", []string{"*/*, application/json;q=0.5"}, false},
		{"two accept lines", []string{"text/html;q=0.5", "application/json"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRequest(http.MethodGet, "http://shop.example/", "192.0.2.1", http.Header{"Accept": tt.accept})
			if tt.accept == nil {
				r.Header.Del("Accept")
			}
			rec := httptest.NewRecorder()
			if err := h.ServeHTTP(rec, r, upstream); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", rec.Code)
			}
			ct := rec.Header().Get("Content-Type")
			if isJSON := ct == "application/json"; isJSON != tt.json || (!isJSON && !strings.HasPrefix(ct, "text/html")) {
				t.Fatalf("Content-Type %q, want JSON: %v", ct, tt.json)
			}
		})
	}
}
