package sitesadapter

import (
	"encoding/json"
	"testing"
)

// FuzzAdapt feeds arbitrary catalogs to the adapter (without the recover
// that Adapt adds, so a panic fails the target): it must return either an
// error or valid JSON. Seeds: testdata/fuzz/FuzzAdapt.
func FuzzAdapt(f *testing.F) {
	f.Add([]byte("sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1:80]\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, _, err := adapt("", body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON for a catalog that adapted:\n%s", out)
		}
	})
}

// BenchmarkAdapt measures adapting the example catalog (a reload's cost).
func BenchmarkAdapt(b *testing.B) {
	body := []byte(`defaults:
  tls: off
  listen: [127.0.0.1:8080]
  trace_id: true
  log: stdout
  throttle: {rate: 50r/s, burst: 100}
sites:
  shop:
    hosts: [shop.localhost]
    upstreams: {to: [127.0.0.1:9001, 127.0.0.1:9002], lb_policy: round_robin, health_check: {path: /, interval: 10s}}
    redirects: [{country: [KR], to: "https://kr.example.com{uri}"}]
  brand:
    hosts: [brand.localhost]
    upstreams: [127.0.0.1:9002]
`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := adapt("", body); err != nil {
			b.Fatal(err)
		}
	}
}
