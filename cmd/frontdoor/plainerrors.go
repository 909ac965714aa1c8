package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// Caddy's commands report an error as a log line of Caddy's logger: JSON
// when stderr is not a terminal. For the commands an operator types to
// talk to a running gateway, frontdoor prints it as one plain line
// instead, "frontdoor <command>: <error>", and says what to check when
// nothing answers at the admin address.

// plainCommands are the Caddy commands whose errors are made plain; run
// and start keep Caddy's structured logs.
var plainCommands = map[string]bool{
	"reload": true, "stop": true, "adapt": true, "validate": true, "fmt": true,
	"environ": true, "list-modules": true, "storage": true, "trust": true, "untrust": true,
}

func init() {
	// The root command exists once cobra runs: plainErrors finds it from
	// a hidden command of ours.
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "errors-plain",
		Short: "(internal) makes the errors of Caddy's client commands plain text",
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Hidden = true
			hook = cmd
			cmd.RunE = func(*cobra.Command, []string) error { return nil }
		},
	})
	cobra.OnInitialize(plainErrors)
}

// hook is a hidden command of ours: its Root() is the root command.
var hook *cobra.Command

// plainErrors wraps the client commands so that Caddy's error line is
// replaced by a plain one.
func plainErrors() {
	if hook == nil || hook.Root() == hook {
		return
	}
	for _, c := range hook.Root().Commands() {
		if !plainCommands[c.Name()] || c.RunE == nil || c.Annotations["plain"] == "yes" {
			continue
		}
		run, name := c.RunE, c.Name()
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations["plain"] = "yes"
		c.RunE = func(cmd *cobra.Command, args []string) error {
			restore := captureErrorLines(name)
			err := run(cmd, args)
			restore()
			return err
		}
	}
}

// captureErrorLines points stderr (file descriptor 2, which Caddy's logger
// writes to) at a pipe until restore is called. JSON log lines at level
// error become "frontdoor <command>: <msg>"; anything else passes through.
func captureErrorLines(command string) (restore func()) {
	saved, err := syscall.Dup(2)
	if err != nil {
		return func() {}
	}
	r, w, err := os.Pipe()
	if err != nil {
		syscall.Close(saved)
		return func() {}
	}
	if err := syscall.Dup2(int(w.Fd()), 2); err != nil {
		r.Close()
		w.Close()
		syscall.Close(saved)
		return func() {}
	}
	out := os.NewFile(uintptr(saved), "stderr")
	done := make(chan struct{})
	go func() {
		defer close(done)
		copyPlain(out, r, command)
	}()
	return func() {
		syscall.Dup2(saved, 2)
		w.Close()
		<-done
		r.Close()
	}
}

// copyPlain copies log lines from r to w, making error lines plain.
func copyPlain(w io.Writer, r io.Reader, command string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Level != "error" || entry.Msg == "" {
			fmt.Fprintln(w, line)
			continue
		}
		fmt.Fprintf(w, "frontdoor %s: %s%s\n", command, entry.Msg, hint(entry.Msg))
	}
}

// hint says what to check for the errors operators meet most.
func hint(msg string) string {
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "connect: no such file") {
		return ": is frontdoor running, with its admin API at that address? Point at it with --address, or with --config and the config file it runs"
	}
	return ""
}
