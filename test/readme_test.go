package test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// The README's command blocks are run by TestREADMECommands, so that the
// next drift between the docs and the binary fails a test. A block is run
// when the line before its ```sh fence is a marker:
//
//	<!-- readme-test: alone -->
//	<!-- readme-test: with Caddyfile.example running -->
//	<!-- readme-test: with configs/sites.example.yaml running -->
//
// "with ... running" starts `bin/frontdoor run` on that config first, as
// `make run` does, in a fresh home directory. Every command of the block
// must then exit 0, curl failing on HTTP errors. Lines that run make, or
// `frontdoor run` itself, are left out: the test does their part.

var readmeMarker = regexp.MustCompile(`^<!-- readme-test: (alone|with (\S+) running) -->$`)

type readmeBlock struct {
	line     int    // of the marker
	config   string // "" when alone
	commands []string
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	inBlock, pending := false, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && !inBlock:
			if line != "```sh" {
				t.Fatalf("README.md:%d: a readme-test marker must be followed by a ```sh block", cur.line)
			}
			inBlock = true
		case inBlock && line == "```":
			if pending != "" {
				t.Fatalf("README.md:%d: the block ends inside a command", n)
			}
			blocks = append(blocks, *cur)
			cur, inBlock = nil, false
		case inBlock:
			cmd := strings.TrimSpace(line)
			if cmd == "" || strings.HasPrefix(cmd, "#") {
				continue
			}
			pending += cmd
			if strings.HasSuffix(cmd, `\`) {
				pending = strings.TrimSuffix(pending, `\`) + " "
				continue
			}
			if strings.HasSuffix(cmd, "|") {
				pending += " "
				continue
			}
			cur.commands = append(cur.commands, pending)
			pending = ""
		default:
			if m := readmeMarker.FindStringSubmatch(line); m != nil {
				cur = &readmeBlock{line: n, config: m[2]}
			}
		}
	}
	return blocks
}

// demoPorts are the loopback ports the README's demos listen on.
var demoPorts = []string{"2019", "8080", "8081", "9001", "9002", "9003", "9180"}

func TestREADMECommands(t *testing.T) {
	harness.Long(t, "runs the README's demos on their own ports")
	root := harness.RepoRoot(t)
	bin := frontdoorBinary(t)
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	if len(blocks) < 3 {
		t.Fatalf("README.md has %d blocks marked readme-test, want the quick start, the binary and the catalog", len(blocks))
	}
	for _, p := range demoPorts {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, 200*time.Millisecond); err == nil {
			c.Close()
			harness.Missing(t, "port %s is in use (a `make run`?): the README's demos need it", p)
		}
	}
	// bin/frontdoor in the README is the binary under test.
	binDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(binDir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(binDir, "bin", "frontdoor")); err != nil {
		t.Fatal(err)
	}
	skip := regexp.MustCompile(`^(make\b|bin/frontdoor run\b)`)
	ran := 0
	for _, b := range blocks {
		t.Run(fmt.Sprintf("README.md:%d", b.line), func(t *testing.T) {
			home := t.TempDir()
			env := append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
				"PATH="+os.Getenv("PATH"))
			if b.config != "" {
				args := []string{"run", "--config", b.config}
				if strings.HasSuffix(b.config, ".yaml") {
					args = append(args, "--adapter", "sites")
				}
				cmd := exec.Command(bin, args...)
				cmd.Dir, cmd.Env = root, env
				p := harness.Start(t, "frontdoor "+b.config, "127.0.0.1:2019", cmd)
				harness.WaitHTTP(t, p, "http://127.0.0.1:2019/config/", 30*time.Second)
				waitServing(t, p)
			}
			for _, c := range b.commands {
				if skip.MatchString(c) {
					continue
				}
				// The README's bin/frontdoor is the binary under test;
				// curl fails on an HTTP error.
				script := "set -o pipefail\ncurl() { command curl --fail --silent --show-error --max-time 10 \"$@\"; }\n" +
					strings.ReplaceAll(c, "bin/frontdoor", filepath.Join(binDir, "bin", "frontdoor"))
				cmd := exec.Command("bash", "-c", script)
				cmd.Dir, cmd.Env = root, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Errorf("README.md:%d: %s\n%v\n%s", b.line, c, err, out)
				}
				ran++
			}
		})
	}
	if ran == 0 {
		t.Fatal("no README command ran")
	}
}

// waitServing waits until the demo's first site answers: the admin API is
// up a moment before the servers.
func waitServing(t *testing.T, p *harness.Process) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if p.Exited() {
			t.Fatalf("%s exited:\n%s", p.Name, p.Output())
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:8080", 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("%s does not listen on 127.0.0.1:8080:\n%s", p.Name, p.Output())
}
