package sitesadapter

import (
	"strings"
	"testing"
)

// TestStoreErrorHidesThePassword: a bad throttle store URL is reported with
// its line, and without its password.
func TestStoreErrorHidesThePassword(t *testing.T) {
	catalog := "sites:\n  shop:\n    hosts: [shop.example.com]\n    respond: {body: ok}\n    throttle: {rate: 10r/s, store: \"mysql://app:s3cretpw@db:3306/0\"}\n"
	_, _, err := Adapter{}.Adapt([]byte(catalog), nil)
	if err == nil {
		t.Fatal("a mysql:// store was accepted")
	}
	if strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("error %q: want line 5 and no password", err)
	}
}
