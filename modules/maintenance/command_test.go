package maintenance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

func TestOnBody(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 500, time.UTC)
	tests := []struct {
		name                 string
		from, until, message string
		withMessage          bool
		want                 string
		wantErr              string
	}{
		{name: "plain", want: `{"enabled":true}`},
		{name: "message", message: "Back soon", withMessage: true, want: `{"enabled":true,"message":"Back soon"}`},
		{name: "empty message clears", withMessage: true, want: `{"enabled":true,"message":""}`},
		{name: "until duration", until: "30m", want: `{"enabled":true,"until":"2026-11-23T12:30:01Z"}`},
		{name: "window times", from: "2026-12-01T02:00:00Z", until: "2026-12-01T04:00:00+01:00",
			want: `{"enabled":true,"from":"2026-12-01T02:00:00Z","until":"2026-12-01T03:00:00Z"}`},
		{name: "bad until", until: "tomorrow", wantErr: "--until"},
		{name: "negative duration", from: "-5m", wantErr: "--from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := onBody(tt.from, tt.until, tt.message, tt.withMessage, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			_ = json.Unmarshal(b, &got)
			_ = json.Unmarshal([]byte(tt.want), &want)
			if string(mustJSON(got)) != string(mustJSON(want)) {
				t.Fatalf("body %s, want %s", b, tt.want)
			}
			// The API accepts what the command sends.
			if _, err := maint.ParseUpdate(b, now); err != nil {
				t.Fatalf("the API rejects the command's body: %v", err)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestDescribe(t *testing.T) {
	until := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	from := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	tests := []struct {
		doc  maint.Document
		want string
	}{
		{maint.Document{Name: "shop"}, "shop: off"},
		{maint.Document{Name: "shop", Enabled: true, Active: true, Until: &until, Message: "m"},
			`shop: ON until 2026-12-01T14:00:00Z message "m"`},
		{maint.Document{Name: "shop", Enabled: true, From: &from},
			"shop: scheduled from " + from.Format(time.RFC3339)},
		{maint.Document{Name: "shop", Enabled: true, Active: true, Error: "unexpected end of JSON input"},
			"shop: ON (stored state unreadable: unexpected end of JSON input)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := describe(tt.doc); got != tt.want {
				t.Errorf("describe = %q, want %q", got, tt.want)
			}
		})
	}
}
