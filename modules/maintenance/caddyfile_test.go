package maintenance

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

// adaptCaddyfile adapts a whole Caddyfile named "Caddyfile", as `frontdoor
// adapt` and `run` do.
func adaptCaddyfile(t *testing.T, body string) (string, error) {
	t.Helper()
	a := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}
	out, _, err := a.Adapt([]byte(body), map[string]any{"filename": "Caddyfile"})
	return string(out), err
}

func TestCaddyfileErrors(t *testing.T) {
	tests := []struct {
		name, block, want string
	}{
		{"short literal secret", "bypass_secret hunter2", "bypass_secret is too short (7 characters): use at least 16 characters"},
		{"fifteen characters", "bypass_secret fifteen-chars-x", "bypass_secret is too short (15 characters)"},
		{"secret without value", "bypass_secret", "wrong argument count"},
		{"unknown subdirective", "colour red", `unrecognized maintenance subdirective "colour"`},
		{"unknown on_state_error", "on_state_error fail-open", `on_state_error "fail-open": expected keep, closed or open`},
		{"on_state_error without value", "on_state_error", "wrong argument count"},
		{"on_state_error with two values", "on_state_error keep open", "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adaptCaddyfile(t, ":8080 {\n\tmaintenance shop {\n\t\t"+tt.block+"\n\t}\n}\n")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasSuffix(err.Error(), ", at Caddyfile:3") {
				t.Fatalf("error %v, want %q at Caddyfile:3", err, tt.want)
			}
			if strings.Contains(tt.block, "hunter2") && strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error repeats the secret: %v", err)
			}
		})
	}
}

func TestCaddyfileSecrets(t *testing.T) {
	for _, secret := range []string{
		"{env.FD_BYPASS}",         // checked when the config loads
		"x{env.FD_BYPASS}",        // likewise
		"sixteen-chars-xx",        // long enough
		`"a sixteen char secret"`, // quoted, with spaces
	} {
		t.Run(secret, func(t *testing.T) {
			out, err := adaptCaddyfile(t, ":8080 {\n\tmaintenance shop {\n\t\tbypass_secret "+secret+"\n\t}\n}\n")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, `"bypass_secret":`) {
				t.Fatalf("no bypass_secret in %s", out)
			}
		})
	}
}

func TestCaddyfileOnStateError(t *testing.T) {
	for _, v := range []string{"keep", "closed", "open"} {
		out, err := adaptCaddyfile(t, ":8080 {\n\tmaintenance shop {\n\t\ton_state_error "+v+"\n\t}\n}\n")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, `"on_state_error":"`+v+`"`) {
			t.Fatalf("on_state_error %s adapts to %s", v, out)
		}
	}
}
