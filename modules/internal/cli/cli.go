// Package cli holds what frontdoor's own commands (maintenance,
// waiting-room) share: errors printed as one plain line, and an admin API
// client whose errors say what to do.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// Run adapts a command function for cobra: an error is printed to stderr
// as one plain line, "frontdoor <command>: <error>", and the process exits
// with status 1 (Caddy's wrapper logs it as a JSON log line instead).
func Run(name string, f func(caddycmd.Flags) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		err := f(caddycmd.Flags{FlagSet: cmd.Flags()})
		if err != nil {
			fmt.Fprintf(os.Stderr, "frontdoor %s: %v\n", name, err)
			cmd.SilenceErrors = true
		}
		return err
	}
}

// APIError is an answer of the admin API with an error status.
type APIError struct {
	Status  int
	Message string // the API's "error" field, or its body
}

func (e *APIError) Error() string {
	return fmt.Sprintf("the admin API answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// NotRunningError says that nothing answers at the admin address.
type NotRunningError struct {
	Addr string
	Err  error
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("nothing answers at %s (%v): is frontdoor running, with its admin API on %s? "+
		"Point at it with --address, or with --config and the config file it runs", e.Addr, e.Err, e.Addr)
}

func (e *NotRunningError) Unwrap() error { return e.Err }

// Admin sends one request to the admin API at addr (host:port, or
// unix/<path>), like Caddy's own commands do, and returns the response of
// a 2xx answer. Other answers are an *APIError; an address where nothing
// listens is a *NotRunningError.
func Admin(addr, method, uri string, body io.Reader) (*http.Response, error) {
	parsed, err := caddy.ParseNetworkAddress(addr)
	if err != nil || parsed.PortRangeSize() > 1 {
		return nil, fmt.Errorf("invalid admin address %q: %v", addr, err)
	}
	origin := "http://" + parsed.JoinHostPort(0)
	if parsed.IsUnixNetwork() {
		origin = "http://127.0.0.1"
	}
	req, err := http.NewRequest(method, origin+uri, body)
	if err != nil {
		return nil, err
	}
	if !parsed.IsUnixNetwork() {
		// The admin API checks the Origin of requests.
		req.Header.Set("Origin", origin)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, parsed.Network, parsed.JoinHostPort(0))
		}},
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) || (errors.As(err, &op) && op.Op == "dial") {
			return nil, &NotRunningError{Addr: addr, Err: dialReason(err)}
		}
		return nil, fmt.Errorf("asking the admin API at %s: %v", addr, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return nil, &APIError{Status: resp.StatusCode, Message: msg}
}

// dialReason keeps the last, most telling part of a dial error
// ("connection refused").
func dialReason(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return syscall.ECONNREFUSED
	case errors.Is(err, syscall.ENOENT):
		return syscall.ENOENT
	}
	return err
}

// AdminAddress finds the admin endpoint as `frontdoor reload` does:
// --address, else the admin address of --config (or of ./Caddyfile), else
// the default localhost:2019.
func AdminAddress(address, configFile, adapter string) (string, error) {
	if address == "" && configFile == "" {
		if _, err := os.Stat("Caddyfile"); err == nil {
			configFile = "Caddyfile"
		}
	}
	addr, err := caddycmd.DetermineAdminAPIAddress(address, nil, configFile, adapter)
	if err != nil {
		return "", fmt.Errorf("couldn't determine the admin API address: %v", err)
	}
	return addr, nil
}
