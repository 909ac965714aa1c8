package throttle

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func frontdoorBinary(t *testing.T) string { return harness.FrontdoorBinary(t) }

func TestMain(m *testing.M) { harness.Main(m) }

const instanceConfig = `{
	admin localhost:%[1]d
	auto_https off
}

http://127.0.0.1:%[2]d {
	throttle it_shared {
		rate 1r/m
		burst 10
		store redis://%[4]s/0
		store_timeout %[5]s
	}
	respond "instance %[2]d"
}

http://127.0.0.1:%[3]d {
	metrics /metrics
}
`

type instance struct {
	proc    *harness.Process
	url     string
	metrics string
}

func startInstance(t *testing.T, bin string, n int, redisAddr, timeout string) *instance {
	t.Helper()
	admin, site, metrics := 19290+n, 19210+n, 19220+n
	cfg := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, instanceConfig, admin, site, metrics, redisAddr, timeout), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfg, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	p := harness.Start(t, fmt.Sprintf("frontdoor-%d", n), fmt.Sprintf("127.0.0.1:%d", site), cmd)
	harness.WaitHTTP(t, p, fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), 60*time.Second)
	return &instance{proc: p, url: fmt.Sprintf("http://127.0.0.1:%d/", site), metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)}
}

type result struct {
	code      int
	decided   bool // by the store: the RateLimit header is present
	elapsed   time.Duration
	rateLimit string
}

func hit(t *testing.T, in *instance) result {
	t.Helper()
	start := time.Now()
	resp, _ := get(t, in.url)
	rl := resp.Header.Get("RateLimit")
	return result{code: resp.StatusCode, decided: rl != "", elapsed: time.Since(start), rateLimit: rl}
}

// TestInstancesShareRedis runs two frontdoor processes on one Redis: they
// enforce one combined limit; with Redis frozen or killed every request
// passes within the timeout; with Redis back, limiting resumes.
func TestInstancesShareRedis(t *testing.T) {
	harness.Long(t, "multi-process test")
	srv := harness.Redis(t)
	bin := frontdoorBinary(t)
	const timeout = 150 * time.Millisecond
	slack := 350 * time.Millisecond // HTTP round trip on a busy 2-core machine
	a := startInstance(t, bin, 0, srv.Addr, timeout.String())
	b := startInstance(t, bin, 1, srv.Addr, timeout.String())
	both := []*instance{a, b}

	// One combined limit: burst 10 across both instances.
	allowed := 0
	for i := range 14 {
		r := hit(t, both[i%2])
		if !r.decided {
			t.Fatalf("request %d was not decided by Redis (status %d)", i, r.code)
		}
		switch r.code {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("request %d: %d", i, r.code)
		}
	}
	if allowed != 10 {
		t.Fatalf("two instances allowed %d of 14 requests, want the shared burst 10", allowed)
	}

	failOpen := func(phase string) {
		t.Helper()
		var slowest time.Duration
		defer func() { t.Logf("%s: 20 requests passed, slowest %v", phase, slowest) }()
		for i := range 20 {
			r := hit(t, both[i%2])
			if r.code != 200 {
				t.Fatalf("%s, request %d: %d, want 200 (fail open)", phase, i, r.code)
			}
			slowest = max(slowest, r.elapsed)
			if r.elapsed > timeout+slack {
				t.Fatalf("%s, request %d took %v, want <= %v + %v", phase, i, r.elapsed, timeout, slack)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Redis frozen: connections open, no answers.
	failStart := time.Now()
	if err := srv.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := true
	defer func() {
		if frozen {
			srv.Cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	failOpen("Redis frozen")
	srv.Cmd.Process.Signal(syscall.SIGCONT)
	frozen = false
	// Thawed: the buckets are still there, so limiting resumes at once
	// (after the one-second pause that follows a failure).
	waitDecided(t, both, func(r result) bool { return r.code == 429 })

	// Redis killed.
	srv.Kill()
	failOpen("Redis killed")
	failEnd := time.Since(failStart)
	for _, in := range both {
		_, body := get(t, in.metrics)
		if !strings.Contains(body, `frontdoor_throttle_store_errors_total{zone="it_shared"}`) ||
			strings.Contains(body, `frontdoor_throttle_store_errors_total{zone="it_shared"} 0`+"\n") {
			t.Errorf("%s: store errors not counted", in.url)
		}
		logged := strings.Count(in.proc.Output(), "rate-limit store failed")
		if max := 1 + int(failEnd/storeErrorLogInterval); logged < 1 || logged > max {
			t.Errorf("%s logged the store failure %d times in %v, want 1 to %d", in.url, logged, failEnd, max)
		}
	}

	// Redis back (empty): a fresh shared bucket of 10. Each instance uses
	// Redis again once its one-second pause after a failure is over.
	srv = harness.RestartRedis(t, srv)
	allowed = 0
	for _, in := range both {
		r := waitDecided(t, []*instance{in}, func(r result) bool { return r.code == 200 })
		if !strings.HasPrefix(r.rateLimit, `"it_shared";r=`) {
			t.Fatalf("first decided request after the restart: %q", r.rateLimit)
		}
		allowed++
	}
	for i := range 12 {
		r := hit(t, both[i%2])
		if !r.decided {
			t.Fatalf("request %d after the restart was not decided by Redis", i)
		}
		if r.code == 200 {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("after the restart the instances allowed %d of 14, want 10", allowed)
	}
}

// waitDecided sends requests to the instances in turn until one is decided
// by Redis and returns it;
// it fails if that takes 5 s or the decision does not satisfy ok.
func waitDecided(t *testing.T, ins []*instance, ok func(result) bool) result {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		r := hit(t, ins[i%len(ins)])
		if r.code >= 500 {
			t.Fatalf("status %d while waiting for Redis", r.code)
		}
		if r.decided {
			if !ok(r) {
				t.Fatalf("first decision from Redis: %d %q", r.code, r.rateLimit)
			}
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("requests were not decided by Redis again within 5 s")
	return result{}
}
