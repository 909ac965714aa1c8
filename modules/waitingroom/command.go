package waitingroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/cli"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "waiting-room",
		Usage: "status|auto|queue_all|pause|passthrough|set|reset [<name>] [--active-users <n|config>] [--new-users-per-minute <n|config>] [--address <interface>] [--config <path> [--adapter <name>]] [--json]",
		Short: "Shows or changes a waiting room of a running frontdoor through the admin API",
		Long: `
Shows the waiting rooms of a running frontdoor, or changes one, through the
admin API (like "reload", it reaches the admin endpoint at --address, or the
one of --config, or the default localhost:2019). No config reload happens;
changes are kept in the room's store, so every gateway sharing it applies
them.

  frontdoor waiting-room status                 # every room
  frontdoor waiting-room status tickets
  frontdoor waiting-room pause tickets          # admit nobody for now
  frontdoor waiting-room queue_all tickets      # every new visitor waits in line
  frontdoor waiting-room passthrough tickets    # let everyone through
  frontdoor waiting-room auto tickets           # back to normal
  frontdoor waiting-room set tickets --active-users 800 --new-users-per-minute 400
  frontdoor waiting-room set tickets --active-users config   # back to the configured value
  frontdoor waiting-room reset tickets          # empty the line, end every session
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Args = cobra.RangeArgs(1, 2)
			cmd.Flags().String("active-users", "", "Visitors on the site at once (a number, or config)")
			cmd.Flags().String("new-users-per-minute", "", "Admissions per minute (a number, or config)")
			cmd.Flags().String("address", "", "Address of the administration API endpoint")
			cmd.Flags().StringP("config", "c", "", "Configuration file to read the admin address from, if --address is not used")
			cmd.Flags().StringP("adapter", "a", "", "Name of the config adapter of --config")
			cmd.Flags().Bool("json", false, "Print the API's JSON answer")
			cmd.RunE = cli.Run("waiting-room", cmdWaitingRoom)
		},
	})
}

func cmdWaitingRoom(fl caddycmd.Flags) error {
	args := fl.Args()
	action, name := args[0], ""
	if len(args) > 1 {
		name = args[1]
	}
	method, uri, body, err := request(action, name, fl.String("active-users"), fl.String("new-users-per-minute"))
	if err != nil {
		return err
	}
	addr, err := cli.AdminAddress(fl.String("address"), fl.String("config"), fl.String("adapter"))
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	resp, err := cli.Admin(addr, method, uri, rd)
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
	var docs []Document
	if name == "" {
		err = json.Unmarshal(out, &docs)
	} else {
		var d Document
		err = json.Unmarshal(out, &d)
		docs = append(docs, d)
	}
	if err != nil {
		return fmt.Errorf("decoding the answer: %v", err)
	}
	if len(docs) == 0 {
		fmt.Println("no waiting rooms in the running config")
	}
	for _, d := range docs {
		fmt.Println(describe(d))
	}
	return nil
}

// request builds the admin API call of a command line.
func request(action, name, activeUsers, perMinute string) (method, uri string, body []byte, err error) {
	if name != "" && !ValidName(name) {
		return "", "", nil, fmt.Errorf("invalid waiting room name %q", name)
	}
	if action != "set" && (activeUsers != "" || perMinute != "") {
		return "", "", nil, errors.New(`--active-users and --new-users-per-minute go with "set"`)
	}
	path := "/waiting-room/" + url.PathEscape(name)
	switch action {
	case "status":
		if name == "" {
			return http.MethodGet, "/waiting-room", nil, nil
		}
		return http.MethodGet, path, nil, nil
	case "auto", "queue_all", "pause", "passthrough":
		if name == "" {
			return "", "", nil, fmt.Errorf("usage: waiting-room %s <name>", action)
		}
		body, _ = json.Marshal(map[string]string{"mode": action})
		return http.MethodPut, path, body, nil
	case "set":
		if name == "" {
			return "", "", nil, errors.New("usage: waiting-room set <name> --active-users <n> --new-users-per-minute <n>")
		}
		u := map[string]any{}
		for _, f := range []struct{ flag, key, val string }{
			{"--active-users", "active_users", activeUsers},
			{"--new-users-per-minute", "new_users_per_minute", perMinute},
		} {
			switch f.val {
			case "":
			case "config":
				u[f.key] = nil
			default:
				n, err := strconv.Atoi(f.val)
				if err != nil || n < 1 {
					return "", "", nil, fmt.Errorf("%s %q: want a positive whole number, or config", f.flag, f.val)
				}
				u[f.key] = n
			}
		}
		if len(u) == 0 {
			return "", "", nil, errors.New("set: give --active-users or --new-users-per-minute")
		}
		body, _ = json.Marshal(u)
		return http.MethodPut, path, body, nil
	case "reset":
		if name == "" {
			return "", "", nil, errors.New("usage: waiting-room reset <name>")
		}
		return http.MethodDelete, path, nil, nil
	}
	return "", "", nil, fmt.Errorf("unknown action %q: use status, auto, queue_all, pause, passthrough, set or reset", action)
}

// explain turns an admin API error into what the operator needs: for an
// unknown room, the names the gateway knows.
func explain(err error, addr, name string) error {
	var api *cli.APIError
	if name == "" || !errors.As(err, &api) || api.Status != http.StatusNotFound {
		return err
	}
	known := "none"
	if resp, lerr := cli.Admin(addr, http.MethodGet, "/waiting-room", nil); lerr == nil {
		var docs []Document
		if json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&docs) == nil && len(docs) > 0 {
			names := make([]string, len(docs))
			for i, d := range docs {
				names[i] = d.Name
			}
			known = strings.Join(names, ", ")
		}
		resp.Body.Close()
	}
	return fmt.Errorf("no waiting room named %q on the gateway at %s (known: %s)", name, addr, known)
}

// describe is a one-line human summary of a room.
func describe(d Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %d on the site (at most %d), %d in line, %d admitted in the last minute (at most %d)",
		d.Name, d.Mode, d.Active, d.ActiveUsers, d.Queued, d.AdmittedLastMinute, d.NewUsersPerMinute)
	if e := d.Event; e != nil {
		fmt.Fprintf(&b, "; event from %s, admissions from %s", e.Prequeue.Format(time.RFC3339), e.Start.Format(time.RFC3339))
		if e.End != nil {
			fmt.Fprintf(&b, " until %s", e.End.Format(time.RFC3339))
		}
	}
	return b.String()
}
