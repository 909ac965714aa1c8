package geoip

import (
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSourceReloadByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "GeoLite2-Country.mmdb")
	ip := netip.MustParseAddr("1.2.3.4")

	writeFileAtomic(t, path, buildDB(t, "GeoLite2-Country", 1700000000, []testNet{{"1.2.3.0/24", geoip2Record("KR", "")}}))
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Lookup(ip).Country; got != "KR" {
		t.Fatalf("before reload: %q, want KR", got)
	}

	// Unchanged file: nothing to do.
	if changed, err := src.Reload(); changed || err != nil {
		t.Fatalf("Reload of an unchanged file = %v, %v", changed, err)
	}

	writeFileAtomic(t, path, buildDB(t, "GeoLite2-Country", 1700000100, []testNet{{"1.2.3.0/24", geoip2Record("JP", "")}}))
	changed, err := src.Reload()
	if err != nil || !changed {
		t.Fatalf("Reload after rename = %v, %v; want true, nil", changed, err)
	}
	if got := src.Lookup(ip).Country; got != "JP" {
		t.Fatalf("after reload: %q, want JP", got)
	}
	if got := src.Database().BuildTime().Unix(); got != 1700000100 {
		t.Fatalf("build time after reload = %d", got)
	}
}

func TestSourceKeepsOldDatabaseOnBadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "country.mmdb")
	ip := netip.MustParseAddr("1.2.3.4")
	good := buildDB(t, "GeoLite2-Country", 1700000000, []testNet{{"1.2.3.0/24", geoip2Record("KR", "")}})
	writeFileAtomic(t, path, good)
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := src.Database()

	next := buildDB(t, "GeoLite2-Country", 1700000100, []testNet{{"1.2.3.0/24", geoip2Record("JP", "")}})
	bad := map[string]func(){
		"truncated in place": func() {
			// Written in place, not renamed: a copy cut short.
			if err := os.WriteFile(path, next[:len(next)/3], 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"empty": func() { writeFileAtomic(t, path, nil) },
		"garbage": func() {
			writeFileAtomic(t, path, []byte("<html>404 not found</html>"))
		},
	}
	for name, breakFile := range bad {
		t.Run(name, func(t *testing.T) {
			breakFile()
			changed, err := src.Reload()
			if err == nil || changed {
				t.Fatalf("Reload of a %s file = %v, %v; want an error", name, changed, err)
			}
			if src.Database() != before {
				t.Fatal("a bad file replaced the database")
			}
			if got := src.Lookup(ip).Country; got != "KR" {
				t.Fatalf("after a bad reload: %q, want the old answer KR", got)
			}
			// The same bad file is not tried (or counted) again.
			if changed, err := src.Reload(); changed || err != nil {
				t.Fatalf("second Reload of the same bad file = %v, %v; want false, nil", changed, err)
			}
		})
	}

	// A good file afterwards is picked up.
	writeFileAtomic(t, path, next)
	if changed, err := src.Reload(); !changed || err != nil {
		t.Fatalf("Reload of a good file = %v, %v", changed, err)
	}
	if got := src.Lookup(ip).Country; got != "JP" {
		t.Fatalf("after recovery: %q, want JP", got)
	}
}

func TestSourceMissingFile(t *testing.T) {
	if _, err := OpenFile(filepath.Join(t.TempDir(), "absent.mmdb")); err == nil {
		t.Fatal("OpenFile of a missing file succeeded")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.mmdb")
	writeFileAtomic(t, path, buildDB(t, "GeoLite2-Country", 1, []testNet{{"1.2.3.0/24", geoip2Record("KR", "")}}))
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if changed, err := src.Reload(); err == nil || changed {
		t.Fatalf("Reload of a removed file = %v, %v; want an error", changed, err)
	}
	if got := src.Lookup(netip.MustParseAddr("1.2.3.4")).Country; got != "KR" {
		t.Fatalf("after the file was removed: %q, want KR", got)
	}
	// Reported once: the checks that follow find nothing new.
	for range 3 {
		if changed, err := src.Reload(); err != nil || changed {
			t.Fatalf("Reload of a file still missing = %v, %v; want nothing to report", changed, err)
		}
	}
	// Back (the same bytes, as a restore would write them): read again.
	writeFileAtomic(t, path, buildDB(t, "GeoLite2-Country", 2, []testNet{{"1.2.3.0/24", geoip2Record("JP", "")}}))
	if changed, err := src.Reload(); err != nil || !changed {
		t.Fatalf("Reload of the restored file = %v, %v; want the new database", changed, err)
	}
	if got := src.Lookup(netip.MustParseAddr("1.2.3.4")).Country; got != "JP" {
		t.Fatalf("after the file came back: %q, want JP", got)
	}
}

// Lookups racing reloads (run with -race): every answer is one of the two
// databases' answers, never a panic or a torn read.
func TestSourceLookupsRaceReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "country.mmdb")
	dbs := [][]byte{
		buildDB(t, "GeoLite2-Country", 1, []testNet{{"1.2.3.0/24", geoip2Record("KR", "")}, {"2001:db8::/32", geoip2Record("KR", "")}}),
		buildDB(t, "GeoLite2-Country", 2, []testNet{{"1.2.3.0/24", geoip2Record("JP", "")}, {"2001:db8::/32", geoip2Record("JP", "")}}),
	}
	writeFileAtomic(t, path, dbs[0])
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var lookups atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ips := []netip.Addr{netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("2001:db8::1")}
			for !stop.Load() {
				c := src.Lookup(ips[g%2]).Country
				if c != "KR" && c != "JP" {
					t.Errorf("lookup during reload = %q", c)
					return
				}
				lookups.Add(1)
			}
		}(g)
	}
	reloads := 0
	deadline := time.Now().Add(time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		writeFileAtomic(t, path, dbs[i%2])
		if i%3 == 2 {
			// A bad file in between must not disturb anyone.
			writeFileAtomic(t, path, dbs[i%2][:100])
		}
		if changed, _ := src.Reload(); changed {
			reloads++
		}
	}
	stop.Store(true)
	wg.Wait()
	if reloads < 2 || lookups.Load() == 0 {
		t.Fatalf("reloads = %d, lookups = %d: the race was not exercised", reloads, lookups.Load())
	}
}
