package maintenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/cli"
	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "maintenance",
		Usage: "on|off|status [<name>] [--until <time|duration>] [--from <time|duration>] [--message <text>] [--address <interface>] [--config <path> [--adapter <name>]] [--json]",
		Short: "Switches a site's maintenance mode on or off through the admin API",
		Long: `
Switches the named maintenance of a running frontdoor on or off, or shows its
state, through the admin API (like "reload", it reaches the admin endpoint at
--address, or the one of --config, or the default localhost:2019). No config
reload happens; the state is kept in the configured storage, so it survives
restarts and is shared by every instance using the same storage.

  frontdoor maintenance on shop --message "Back at 14:00 UTC" --until 30m
  frontdoor maintenance on shop --from 2026-12-01T02:00:00Z --until 2026-12-01T03:00:00Z
  frontdoor maintenance off shop
  frontdoor maintenance status shop
  frontdoor maintenance status           # every maintenance

--until and --from take an RFC 3339 time or a duration from now (30m, 2h).
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Args = cobra.RangeArgs(1, 2)
			cmd.Flags().String("until", "", "End of the maintenance: RFC 3339 time or duration from now")
			cmd.Flags().String("from", "", "Start of a scheduled maintenance: RFC 3339 time or duration from now")
			cmd.Flags().String("message", "", "Message shown to visitors")
			cmd.Flags().String("address", "", "Address of the administration API endpoint")
			cmd.Flags().StringP("config", "c", "", "Configuration file to read the admin address from, if --address is not used")
			cmd.Flags().StringP("adapter", "a", "", "Name of the config adapter of --config")
			cmd.Flags().Bool("json", false, "Print the API's JSON answer")
			cmd.RunE = cli.Run("maintenance", cmdMaintenance)
		},
	})
}

func cmdMaintenance(fl caddycmd.Flags) error {
	args := fl.Args()
	action, name := args[0], ""
	if len(args) > 1 {
		name = args[1]
	}
	if name != "" && !maint.ValidName(name) {
		return fmt.Errorf("invalid maintenance name %q", name)
	}

	var method, uri string
	var body io.Reader
	switch action {
	case "on":
		if name == "" {
			return errors.New("usage: maintenance on <name>")
		}
		b, err := onBody(fl.String("from"), fl.String("until"), fl.String("message"), fl.Changed("message"), time.Now())
		if err != nil {
			return err
		}
		method, uri, body = http.MethodPut, "/maintenance/"+url.PathEscape(name), bytes.NewReader(b)
	case "off":
		if name == "" {
			return errors.New("usage: maintenance off <name>")
		}
		method, uri = http.MethodDelete, "/maintenance/"+url.PathEscape(name)
	case "status":
		method, uri = http.MethodGet, "/maintenance"
		if name != "" {
			uri += "/" + url.PathEscape(name)
		}
	default:
		return fmt.Errorf("unknown action %q: use on, off or status", action)
	}
	if action != "on" && (fl.Changed("from") || fl.Changed("until") || fl.Changed("message")) {
		return fmt.Errorf("--from, --until and --message go with \"on\"")
	}

	addr, err := cli.AdminAddress(fl.String("address"), fl.String("config"), fl.String("adapter"))
	if err != nil {
		return err
	}
	resp, err := cli.Admin(addr, method, uri, body)
	if err != nil {
		return explain(err, addr, name)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}

	if fl.Bool("json") {
		os.Stdout.Write(out)
		return nil
	}
	var docs []maint.Document
	if name == "" {
		err = json.Unmarshal(out, &docs)
	} else {
		var d maint.Document
		err = json.Unmarshal(out, &d)
		docs = append(docs, d)
	}
	if err != nil {
		return fmt.Errorf("decoding the answer: %v", err)
	}
	for _, d := range docs {
		fmt.Println(describe(d))
	}
	return nil
}

// explain turns an admin API error into what the operator needs: for an
// unknown name, the names the gateway knows.
func explain(err error, addr, name string) error {
	var api *cli.APIError
	if name == "" || !errors.As(err, &api) || api.Status != http.StatusNotFound {
		return err
	}
	known := "none"
	if resp, lerr := cli.Admin(addr, http.MethodGet, "/maintenance", nil); lerr == nil {
		var docs []maint.Document
		if json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&docs) == nil && len(docs) > 0 {
			names := make([]string, len(docs))
			for i, d := range docs {
				names[i] = d.Name
			}
			known = strings.Join(names, ", ")
		}
		resp.Body.Close()
	}
	return fmt.Errorf("no maintenance named %q on the gateway at %s (known: %s)", name, addr, known)
}

// onBody builds the PUT body of "maintenance on".
func onBody(from, until, message string, withMessage bool, now time.Time) ([]byte, error) {
	u := map[string]any{"enabled": true}
	for _, f := range []struct{ key, val string }{{"from", from}, {"until", until}} {
		if f.val == "" {
			continue
		}
		t, err := parseWhen(f.val, now)
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", f.key, err)
		}
		u[f.key] = t.UTC().Format(time.RFC3339)
	}
	if withMessage {
		u["message"] = message
	}
	return json.Marshal(u)
}

// parseWhen reads an RFC 3339 time or a duration from now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := caddy.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	if d <= 0 {
		return time.Time{}, fmt.Errorf("duration %q must be positive", s)
	}
	// Round up to the second: the API speaks RFC 3339 without fractions.
	return now.Add(d).Truncate(time.Second).Add(time.Second), nil
}

// describe is a one-line human summary of a switch.
func describe(d maint.Document) string {
	var b strings.Builder
	b.WriteString(d.Name)
	b.WriteString(": ")
	switch {
	case d.Active:
		b.WriteString("ON")
	case d.Enabled && d.From != nil && time.Now().Before(*d.From):
		b.WriteString("scheduled")
	default:
		b.WriteString("off")
	}
	if d.Enabled {
		if d.From != nil {
			fmt.Fprintf(&b, " from %s", d.From.Format(time.RFC3339))
		}
		if d.Until != nil {
			fmt.Fprintf(&b, " until %s", d.Until.Format(time.RFC3339))
		}
		if d.Message != "" {
			fmt.Fprintf(&b, " message %q", d.Message)
		}
	}
	if d.Error != "" {
		fmt.Fprintf(&b, " (stored state unreadable: %s)", d.Error)
	}
	return b.String()
}
